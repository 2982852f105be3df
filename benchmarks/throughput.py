"""Throughput of the worker pools: sleep-bound candidates of known duration at 1, 2, 4, ... workers.

    python benchmarks/throughput.py --duration 2 --per-worker 3 --max-workers 8 [--pools local,ray]

For each pool and N, one real run (policy, journal, sandbox, grader) of N × per-worker
candidates that each sleep `duration` seconds. Reported per row:
- candidates/hour against the ideal N × 3600 / duration, and their ratio (efficiency);
- worker utilisation: the candidates' own run time (as the sandbox measured it) over
  N × the time from the first candidate ready to the last one recorded;
- the framework's overhead per candidate, median: ready → started (the pool picks it up),
  finished → recorded (graded and committed to the journal), and the sandbox's own set-up and
  tear-down around the candidate (start of the supervisor, namespaces, cgroup, output capture).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import airlab.backends.scripted  # noqa: F401 - registers "scripted"
from airlab.journal import Node
from airlab.runner import Run, RunConfig, RunObserver
from airlab.tasks.prepare import write_task_data


def make_task(root: Path) -> Path:
    """A tiny classification task: grading takes milliseconds, so the pool is what is measured."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = (x[:, 0] > 0).astype(int)
    write_task_data(root, frame, target_columns=["y"], seed=1, train_fraction=0.5)
    spec = {
        "name": "sleepy",
        "title": "Sleep-bound candidates",
        "type": "classification",
        "metric": "accuracy",
        "direction": "maximize",
        "id_column": "id",
        "target_columns": ["y"],
        "limits": {"time_s": 120, "memory_mb": 512, "cpus": 1},
    }
    (root / "task.yaml").write_text(yaml.safe_dump(spec))
    (root / "description.md").write_text("Sleep, then submit the sample.\n")
    return root


class Clock(RunObserver):
    """When each node became ready (submitted to the pool) and when it was recorded."""

    def __init__(self) -> None:
        self.ready: dict[int, float] = {}
        self.recorded: dict[int, float] = {}

    def on_started(self, run: Run, node: Node) -> None:
        self.ready[node.id] = time.time()

    def on_finished(self, run: Run, node: Node) -> None:
        self.recorded[node.id] = time.time()


@dataclass
class Row:
    pool: str
    workers: int
    candidates: int
    per_hour: float
    ideal_per_hour: float
    utilisation: float
    ready_to_started_ms: float
    finished_to_recorded_ms: float
    sandbox_ms: float
    start_up_s: float

    @property
    def efficiency(self) -> float:
        return self.per_hour / self.ideal_per_hour


def measure(
    pool: str, workers: int, duration: float, per_worker: int, task: Path, runs: Path
) -> Row:
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "backend": "scripted",
            "backend_options": {"sleep_s": duration},
            "budget": {"steps": workers * per_worker},
            "workers": workers,
            "pool": pool,
            "runs_dir": str(runs),
            "run_name": f"{pool}-{workers}",
        }
    )
    run = Run.create(config)
    clock = Clock()
    began = time.time()
    run.execute(clock)
    nodes = [n for n in run.journal.nodes() if n.status.finished]
    bad = [n for n in nodes if not n.is_good]
    if bad:
        raise SystemExit(f"{pool}/{workers}: node {bad[0].id} failed: {bad[0].error}")
    first_ready = min(clock.ready.values())
    window = max(clock.recorded.values()) - first_ready
    busy = sum(n.exec_seconds or 0.0 for n in nodes)
    return Row(
        pool=pool,
        workers=workers,
        candidates=len(nodes),
        per_hour=len(nodes) * 3600 / window,
        ideal_per_hour=workers * 3600 / duration,
        utilisation=busy / (workers * window),
        ready_to_started_ms=1000
        * statistics.median(
            n.started_at - clock.ready[n.id]
            for n in nodes  # type: ignore[operator]
        ),
        finished_to_recorded_ms=1000
        * statistics.median(
            clock.recorded[n.id] - n.finished_at
            for n in nodes  # type: ignore[operator]
        ),
        sandbox_ms=1000
        * statistics.median(
            (n.finished_at - n.started_at) - (n.exec_seconds or 0.0)  # type: ignore[operator]
            for n in nodes
        ),
        start_up_s=first_ready - began,
    )


def table(rows: list[Row], duration: float) -> str:
    lines = [
        f"candidates sleep {duration:g} s; overheads are medians per candidate",
        "",
        "| pool | N | cand. | cand./hour | ideal | efficiency | utilisation | ready→started ms |"
        " finished→recorded ms | sandbox set-up+tear-down ms | pool start s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.pool} | {r.workers} | {r.candidates} | {r.per_hour:.0f} | "
            f"{r.ideal_per_hour:.0f} | {r.efficiency:.1%} | {r.utilisation:.1%} | "
            f"{r.ready_to_started_ms:.1f} | {r.finished_to_recorded_ms:.1f} | "
            f"{r.sandbox_ms:.0f} | {r.start_up_s:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per candidate")
    parser.add_argument("--per-worker", type=int, default=3, help="candidates per worker")
    parser.add_argument("--max-workers", type=int, default=8, help="largest N (powers of two)")
    parser.add_argument("--pools", default="local,ray", help="comma-separated pools to measure")
    args = parser.parse_args(argv)
    pools = [p for p in args.pools.split(",") if p]
    if "ray" in pools:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("ray is not installed: measuring the local pool only", file=sys.stderr)
            pools.remove("ray")
    sizes = [1 << i for i in range(args.max_workers.bit_length()) if 1 << i <= args.max_workers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="airlab-bench-") as tmp:
        task = make_task(Path(tmp) / "task")
        for pool in pools:
            for workers in sizes:
                row = measure(
                    pool, workers, args.duration, args.per_worker, task, Path(tmp) / "runs"
                )
                rows.append(row)
                print(
                    f"{pool} N={workers}: utilisation {row.utilisation:.1%}, "
                    f"efficiency {row.efficiency:.1%}",
                    file=sys.stderr,
                )
    print(table(rows, args.duration))
    return 0


if __name__ == "__main__":
    sys.exit(main())
