"""Running a recorded script in the sandbox on a small table shaped like the task it was written
for (the tests of repairs that turn a model's failing script into one that runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from airlab.sandbox.base import Execution, ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox
from airlab.tasks.spec import TASK_FILE, load_spec
from airlab.tasks.task import Task

LOCAL_TASKS = Path(__file__).parents[2] / "benchmarks" / "local_tasks"


def local_task(name: str) -> Task:
    """A task of `benchmarks/local_tasks` by its spec alone (its id and targets, for the I/O
    prelude): its data is never built or read."""
    root = LOCAL_TASKS / name
    return Task(spec=load_spec(root / TASK_FILE), root=root, description="")


def run_on_table(script: str, tmp_path: Path, write_public: Callable[[Path], None]) -> Execution:
    """`script` run in a fresh work folder, `write_public` having written `public/`."""
    public = tmp_path / "public"
    write_public(public)
    request = ExecutionRequest(
        script=script,
        workdir=tmp_path / "work",
        public_dir=public,
        limits=ExecutionLimits(time_s=60, memory_mb=2048),
    )
    return get_sandbox("process").run(request)


def grunfeld_like(public: Path, *, firm_as_text: bool = True) -> None:
    """A small table with grunfeld's columns: a string `firm` (a number without
    `firm_as_text`), numbers, the target `invest`."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": range(60),
            "value": rng.normal(1000, 200, 60),
            "capital": rng.normal(300, 50, 60),
            "firm": rng.choice(["GM", "US Steel", "Chrysler"] if firm_as_text else [1, 2, 3], 60),
            "year": rng.integers(1935, 1955, 60),
        }
    )
    frame["invest"] = 0.1 * frame["value"] + rng.normal(0, 5, 60)
    public.mkdir(parents=True)
    frame.iloc[:45].to_csv(public / "train.csv", index=False)
    frame.iloc[45:].drop(columns="invest").to_csv(public / "test.csv", index=False)
