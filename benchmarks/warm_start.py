"""What the warm sandbox saves: the same searches run cold (`process`) and warm, side by side.

    python benchmarks/warm_start.py --tasks diabetes digits breast-cancer --steps 12 --repeats 3

Each search (greedy, offline templates, one worker, seed = repeat) runs in a child process of its
own, once with each sandbox, the two orders alternating by repeat, so the machine's load falls
on both alike. Reported per search: the CPU seconds of the child and everything it started
(driver, supervisors, zygote, candidates: `RUSAGE_CHILDREN` once all are reaped) and its wall
time; the cold/warm ratio of each, as the geometric mean over (task, repeat) pairs with a
percentile-bootstrap 95% interval; and whether both searches scored every node alike (a warm
start must change no result).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from airlab.journal import NodeStatus
from airlab.runner import Run, RunConfig

SANDBOXES = ("process", "warm")


def search(task: str, sandbox: str, steps: int, seed: int, folder: str) -> list[float | None]:
    """One search; returns every node's hidden search score in the order they were proposed."""
    config = RunConfig.model_validate(
        {
            "task": task,
            "policy": "greedy",
            "budget": {"steps": steps},
            "workers": 1,
            "seed": seed,
            "sandbox": sandbox,
            "runs_dir": folder,
            "run_name": f"{task}-{sandbox}-{seed}",
        }
    )
    run = Run.create(config)
    run.execute()
    return [
        node.search_score for node in run.journal.nodes() if node.status != NodeStatus.CANCELLED
    ]


def _child(task: str, sandbox: str, steps: int, seed: int, folder: str, out: Any) -> None:
    out.send(search(task, sandbox, steps, seed, folder))
    out.close()


def measured(task: str, sandbox: str, steps: int, seed: int, folder: str) -> dict[str, Any]:
    """Run one search in a child process; its CPU time counts everything it started."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    child = context.Process(target=_child, args=(task, sandbox, steps, seed, folder, theirs))
    child.start()
    theirs.close()
    scores = ours.recv()
    child.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.exitcode != 0:
        raise SystemExit(f"{task}/{sandbox}/seed {seed}: the search exited with {child.exitcode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "task": task,
        "sandbox": sandbox,
        "seed": seed,
        "cpu_s": cpu,
        "wall_s": wall,
        "scores": scores,
    }


def geometric_ratio(ratios: list[float], *, seed: int = 0, n_boot: int = 4000) -> list[float]:
    """Geometric mean of the ratios and its percentile-bootstrap 95% interval."""
    logs = np.log(np.asarray(ratios))
    rng = np.random.default_rng(seed)
    boots = rng.choice(logs, size=(n_boot, len(logs))).mean(axis=1)
    low, high = np.percentile(boots, [2.5, 97.5])
    return [float(np.exp(logs.mean())), float(np.exp(low)), float(np.exp(high))]


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    pairs: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        pairs.setdefault((row["task"], row["seed"]), {})[row["sandbox"]] = row
    cpu = [pair["process"]["cpu_s"] / pair["warm"]["cpu_s"] for pair in pairs.values()]
    wall = [pair["process"]["wall_s"] / pair["warm"]["wall_s"] for pair in pairs.values()]
    same = sum(pair["process"]["scores"] == pair["warm"]["scores"] for pair in pairs.values())
    per_task = {}
    for task in dict.fromkeys(row["task"] for row in rows):
        mine = [row for row in rows if row["task"] == task]
        per_task[task] = {
            sandbox: {
                "cpu_s": float(np.mean([r["cpu_s"] for r in mine if r["sandbox"] == sandbox])),
                "wall_s": float(np.mean([r["wall_s"] for r in mine if r["sandbox"] == sandbox])),
            }
            for sandbox in SANDBOXES
        }
    return {
        "pairs": len(pairs),
        "cpu_ratio_cold_over_warm": geometric_ratio(cpu),
        "wall_ratio_cold_over_warm": geometric_ratio(wall),
        "pairs_with_identical_scores": same,
        "per_task_means": per_task,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["diabetes", "digits", "breast-cancer"])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write rows and summary as JSON")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.repeats):
            for task in args.tasks:
                order = SANDBOXES if seed % 2 == 0 else SANDBOXES[::-1]
                for sandbox in order:
                    row = measured(task, sandbox, args.steps, seed, folder)
                    rows.append(row)
                    print(
                        f"{task:14s} seed {seed} {sandbox:8s} cpu {row['cpu_s']:6.1f} s"
                        f"  wall {row['wall_s']:6.1f} s",
                        flush=True,
                    )
    summary = summarise(rows)
    cpu, wall = summary["cpu_ratio_cold_over_warm"], summary["wall_ratio_cold_over_warm"]
    print(f"CPU  cold/warm: {cpu[0]:.2f}x [{cpu[1]:.2f}, {cpu[2]:.2f}]")
    print(f"wall cold/warm: {wall[0]:.2f}x [{wall[1]:.2f}, {wall[2]:.2f}]")
    print(f"identical node scores: {summary['pairs_with_identical_scores']}/{summary['pairs']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
