"""Benchmark: does a lessons store built on other tasks help a held-out task?

A store is built from one templates run on each source task (greedy drafting every family, so
the lessons rank them all). Then the held-out task, a different data set, is searched by the
same agent with the store (read only) and without it, for several seeds; each seed's two runs
are paired. The templates backend acts on lessons in one place: its drafts take the families
the retrieved lessons rank best instead of random ones; nothing else differs between the arms.
Executions are cached by script (`execution_cache.py`), shared by both arms.

    python benchmarks/lessons.py                        # default size: about 9 min on 2 cores
    python benchmarks/lessons.py --held-out osuleaf --seeds 8 --out bench-lessons-osuleaf

Writes `lessons.md` (the table), `results.json` and the store `lessons.db`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import execution_cache

from airlab.evaluation.scores import bootstrap_ci
from airlab.journal import NodeStatus
from airlab.lessons.store import LessonStore
from airlab.runner import Run, RunConfig
from airlab.tasks import resolve_task

SOURCES = ("breast-cancer", "digits", "anes96")
HELD_OUT = "italy-power"
"""Binary classification scored by log loss, like breast-cancer, on another data set."""


@dataclass(frozen=True)
class Job:
    task: str
    seed: int
    steps: int
    num_drafts: int
    lessons: str | None
    mode: str
    out: str
    time_limit: float
    arm: str


def run_job(job: Job) -> dict[str, Any]:
    sandbox = execution_cache.enable(Path(job.out) / "cache")
    started = time.monotonic()
    config = RunConfig.model_validate(
        {
            "task": job.task,
            "policy": "greedy",
            "policy_params": {"num_drafts": job.num_drafts},
            "budget": {"steps": job.steps},
            "seed": job.seed,
            "sandbox": sandbox,
            "limits": {"time_s": job.time_limit},
            "lessons": None if job.lessons is None else {"path": job.lessons, "mode": job.mode},
            "runs_dir": str(Path(job.out) / "runs"),
            "run_name": f"{job.arm}-{job.task}-seed{job.seed}",
        }
    )
    run = Run.create(config)
    result = run.execute()
    drafts = [
        n.info.family or "?"
        for n in run.journal.nodes()
        if n.operator == "draft" and n.status != NodeStatus.CANCELLED
    ]
    return {
        **asdict(job),
        "test": result.scores.test,
        "search": result.scores.search,
        "maximize": resolve_task(job.task).spec.maximize,
        "drafts": drafts,
        "lessons_used": len(run.journal.get_meta("lessons") or []),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--held-out", default=HELD_OUT)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3, help="steps of each held-out run")
    parser.add_argument("--source-steps", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="runs at once")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--out", default="bench-lessons")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = out / "lessons.db"
    for path in out.glob("lessons.db*"):
        path.unlink()
    sources = [t for t in args.sources.split(",") if t]
    if args.held_out in sources:
        parser.error("the held-out task must not be a source task")
    started = time.monotonic()
    build = [
        Job(t, 0, args.source_steps, 6, str(store), "write", str(out), args.time_limit, "source")
        for t in sources
    ]
    held = [
        Job(args.held_out, seed, args.steps, 2, lessons, "read", str(out), args.time_limit, arm)
        for seed in range(args.seeds)
        for arm, lessons in (("with", str(store)), ("without", None))
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        built = list(pool.map(run_job, build))
        rows = list(pool.map(run_job, held))
    minutes = (time.monotonic() - started) / 60
    lessons = [lesson.model_dump(mode="json") for lesson in LessonStore(store).all()]
    report = table(rows, args, lessons, minutes)
    (out / "lessons.md").write_text(report)
    (out / "results.json").write_text(
        json.dumps({"sources": built, "held_out": rows, "lessons": lessons}, indent=2)
    )
    print(report)


def table(
    rows: list[dict[str, Any]], args: argparse.Namespace, lessons: list, minutes: float
) -> str:
    by_seed: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_seed.setdefault(row["seed"], {})[row["arm"]] = row
    maximize = rows[0]["maximize"]
    sign = 1.0 if maximize else -1.0
    lines = [
        f"Held-out task `{args.held_out}` ({'higher' if maximize else 'lower'} is better), "
        f"store built on {args.sources} ({len(lessons)} lessons); greedy, "
        f"{args.steps} steps, templates backend, {len(by_seed)} seeds; {minutes:.1f} min.",
        "",
        "| seed | test with store | test without | improvement | drafts with | drafts without |",
        "|---|---|---|---|---|---|",
    ]
    gains = []
    for seed, arms in sorted(by_seed.items()):
        with_, without = arms["with"], arms["without"]
        gain = None
        if with_["test"] is not None and without["test"] is not None:
            gain = sign * (with_["test"] - without["test"])
            gains.append(gain)
        lines.append(
            f"| {seed} | {_num(with_['test'])} | {_num(without['test'])} | {_num(gain)} | "
            f"{', '.join(with_['drafts'])} | {', '.join(without['drafts'])} |"
        )
    ci = bootstrap_ci(gains, n_boot=10_000, seed=0)
    lines += [
        "",
        f"Mean improvement of the test score with the store (positive: better): {ci.estimate:.4f}"
        f", 95% bootstrap CI over seeds [{ci.low:.4f}, {ci.high:.4f}] (n={ci.n}).",
    ]
    return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


if __name__ == "__main__":
    main()
