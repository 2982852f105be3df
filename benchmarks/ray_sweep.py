"""`airlab sweep --pool ray` on a local multi-node Ray cluster without a shared filesystem.

    python benchmarks/ray_sweep.py --runs 100 --steps 2 --duration 1 --nodes 2 --cpus 2

Starts the test cluster of `tests/runner/ray_cluster.py` (a head with no CPUs, `--nodes`
worker nodes of `--cpus` CPUs each, each in its own mount namespace where the driver's folder
is empty, each with its own working root), then:

1. Sweep: a grid of `--runs` runs (one tiny task, `--runs` seeds) of `--steps` sleep-bound
   candidates each, through the CLI's own `sweep` command with `--pool ray`. It checks one
   journal per run, every run complete, no run folder repeated and no candidate executed twice,
   and reports candidates/hour against the ideal (slots × 3600 / duration).
2. Shipping: `--probe` candidates of a task whose public data is `--data-mb` MB, submitted
   straight to the Ray pool; it reports the worker's set-up time (getting the public data onto
   its node) for the first candidate of the task on each node and for the later ones.

Needs root (for `unshare`) and the dev extra (Ray).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "runner"))
sys.path.insert(0, str(HERE.parent / "tests"))

from ray_cluster import DRIVER_ENV, LocalCluster  # noqa: E402

os.environ.update(DRIVER_ENV)  # before Ray is imported: loopback only

import yaml  # noqa: E402

import airlab.backends.scripted  # noqa: E402, F401 - registers "scripted"
from airlab.cli import app  # noqa: E402
from airlab.journal import Journal  # noqa: E402
from airlab.runner.ray_pool import RayPool  # noqa: E402
from airlab.sandbox import ExecutionLimits, ExecutionRequest, get_sandbox  # noqa: E402
from tiny_task import write_tiny_task  # noqa: E402


def sweep(cluster: LocalCluster, work: Path, args: argparse.Namespace, slots: int) -> None:
    task = write_tiny_task(work / "tasks" / "tiny", "tiny")
    grid = work / "grid.yaml"
    spec = {
        "tasks": [str(task)],
        "backends": ["scripted"],
        "seeds": list(range(args.runs)),
        "workers": slots,
        "run_workers": 1,
        "pool": "ray",
        "pool_options": {"address": cluster.address},
        "base": {
            "budget": {"steps": args.steps},
            "backend_options": {"sleep_s": args.duration},
            "limits": {"time_s": 120, "memory_mb": 512},
        },
    }
    grid.write_text(yaml.safe_dump(spec))
    began = time.time()
    app(["sweep", "-c", str(grid), "--sweeps-dir", str(work / "sweeps")], standalone_mode=False)
    wall = time.time() - began
    (folder,) = (work / "sweeps").iterdir()
    runs = sorted((folder / "runs").iterdir())
    nodes = []
    for run in runs:
        with Journal.open(run / "journal.sqlite") as journal:
            nodes += journal.nodes()
            assert journal.get_meta("status") == "complete", run
    names = [r.name for r in runs]
    assert len(names) == len(set(names)) == args.runs, "one journal per run"
    assert all(n.is_good for n in nodes), [n.error for n in nodes if not n.is_good][:3]
    assert len(nodes) == args.runs * args.steps
    repeated = sum(1 for n in nodes if n.attempts != 1)
    per_hour = len(nodes) * 3600 / wall
    ideal = slots * 3600 / args.duration
    print(f"\nsweep: {args.runs} runs x {args.steps} candidates of {args.duration:g} s on")
    print(f"{args.nodes} nodes x {args.cpus} CPUs ({slots} slots), wall {wall:.1f} s (driver")
    print("start-up included)")
    print("| runs | candidates | executed twice | candidates/hour | ideal | efficiency |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.runs} | {len(nodes)} | {repeated} | {per_hour:.0f} | {ideal:.0f} |"
        f" {per_hour / ideal:.0%} |"
    )


def shipping(work: Path, args: argparse.Namespace, address: str) -> None:
    public = work / "big" / "public"
    public.mkdir(parents=True)
    (public / "data.bin").write_bytes(os.urandom(args.data_mb * 1024 * 1024))
    script = "import pathlib; pathlib.Path('submission.csv').write_text('id\\n')\n"
    with RayPool(args.nodes * args.cpus, get_sandbox("auto"), address=address) as pool:
        started = time.time()
        futures = []
        for i in range(args.probe):
            workdir = work / "big" / "nodes" / f"node-{i:04d}"
            workdir.mkdir(parents=True)
            request = ExecutionRequest(
                script=script,
                workdir=workdir,
                public_dir=public,
                limits=ExecutionLimits(time_s=60, memory_mb=256),
            )
            futures.append(pool.submit(request))
        put_s = time.time() - started
        results = [f.result(timeout=300) for f in futures]
    first = [r.setup_s for r in results if r.data_fetched]
    later = [r.setup_s for r in results if not r.data_fetched]
    print(f"\nshipping {args.data_mb} MB of public data: {args.probe} candidates; packed and put")
    print(f"once on the driver in {put_s:.2f} s (submit of all included)")
    print("| candidate on its node | candidates | worker set-up, median | max |")
    print("|---|---:|---:|---:|")
    for label, values in (("first (fetch + unpack)", first), ("later (cached)", later)):
        if values:
            print(
                f"| {label} | {len(values)} | {1000 * statistics.median(values):.1f} ms |"
                f" {1000 * max(values):.1f} ms |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--data-mb", type=int, default=50)
    parser.add_argument("--probe", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="airlab-ray-sweep-") as tmp:
        work = Path(tmp) / "driver"
        work.mkdir()
        cluster = LocalCluster(work, Path(tmp))
        try:
            cluster.start()
            for i in range(args.nodes):
                cluster.add_node(f"n{i}", Path(tmp) / f"node-{i}", cpus=args.cpus)
            import ray

            ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
            sweep(cluster, work, args, args.nodes * args.cpus)
            shipping(work, args, cluster.address)
        finally:
            import ray

            if ray.is_initialized():
                ray.shutdown()
            cluster.shutdown()


if __name__ == "__main__":
    main()
