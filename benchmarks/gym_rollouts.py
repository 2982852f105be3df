"""Throughput of group rollouts: K sleep-bound attempts of known duration from one start state,
on 1, 2, 4, ... workers of the local pool (or Ray's, with --pool ray).

    python benchmarks/gym_rollouts.py --group 8 --duration 2 --max-workers 2

Each attempt sleeps `duration` seconds and copies the sample submission (valid, poor), so the
ideal group time is ceil(K / N) × duration. Reported per N: the group's wall time from the fork
to the last graded attempt, attempts per hour against the ideal, and the framework's overhead
per attempt (fork, recording, sandbox start, grading).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from airlab.gym.attempts import run_attempts
from airlab.gym.reward import RewardSpec
from airlab.gym.rollout import rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.runner import RunConfig, Search

SLEEP = """Plan: wait, then submit the sample ({tag}).

```python
import shutil, time
time.sleep({duration})
shutil.copy("public/sample_submission.csv", "submission.csv")
print("attempt {tag}")
```
"""


def root(task: str, runs_dir: Path) -> StartState:
    config = RunConfig.model_validate(
        {"task": task, "budget": {"steps": 1}, "runs_dir": str(runs_dir)}
    )
    search = Search.create(config)
    proposal = search.add_step("draft")
    [attempt] = run_attempts(
        search, [proposal], [SLEEP.format(tag="root", duration=0)], RewardSpec()
    )
    search.journal.close()
    if not attempt.node.is_good:
        raise SystemExit(f"the root attempt failed: {attempt.node.error}")
    return StartState(search.folder.root, attempt.node.id, StartKind.CONTINUE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--max-workers", type=int, default=2)
    parser.add_argument("--pool", default="local")
    args = parser.parse_args(argv)
    runs_dir = Path(tempfile.mkdtemp(prefix="airlab-gym-rollouts-"))
    start = root(args.task, runs_dir)
    print(
        "| workers | group | wall s | ideal s | attempts/hour | efficiency "
        "| overhead (worker-s per attempt) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    workers = 1
    while workers <= args.max_workers:

        def policy(observation, k, n=workers):
            return [SLEEP.format(tag=f"{n}-{i}", duration=args.duration) for i in range(k)]

        started = time.monotonic()
        group = rollout_group(
            start, policy, args.group, runs_dir=runs_dir, workers=workers, pool=args.pool
        )
        wall = time.monotonic() - started
        good = sum(a.node.is_good for a in group.attempts)
        if good != args.group:
            raise SystemExit(f"{args.group - good} attempt(s) failed")
        ideal = math.ceil(args.group / workers) * args.duration
        print(
            f"| {workers} | {args.group} | {wall:.2f} | {ideal:.1f} | "
            f"{args.group * 3600 / wall:.0f} | {ideal / wall:.0%} | "
            f"{(wall - ideal) * workers / args.group:.2f} |"
        )
        workers *= 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
