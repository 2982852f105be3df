"""Write a plan (or revision) task folder: what importers, extraction and hand-written examples
all produce, in the one layout the plan grader reads.

```
plan-<name>/
  task.yaml             name, title, kind (plan | revision), source, hidden_splits {seed}
  description.md        the goal with its aims and constraints (what the agent reads)
  private/rubric.yaml   the rubric (never shown to the agent)
  private/reference.md  optional: a reference solution (the paper's own approach)
  public/paper.md       kind: revision only: the paper text to revise
```

The writer refuses to overwrite a folder that already holds a `task.yaml` unless told to, and
writes the rubric through `dump_rubric`, so what it writes reads back with `load_rubric`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from airlab.errors import TaskError
from airlab.plans.rubric import RUBRIC_FILE, Rubric, dump_rubric

TASK_PREFIX = "plan-"
REFERENCE_FILE = "reference.md"
PAPER_FILE = "paper.md"
DEFAULT_ITEM_SEED = 20240701
"""Seed of the search / select / test split of rubric items, recorded in `task.yaml`."""
_NAME_MAX = 48


class PlanKind(StrEnum):
    """What a candidate of the task is: a research plan for a goal, or a revised paper."""

    PLAN = "plan"
    REVISION = "revision"


@dataclass(frozen=True)
class PlanTaskDraft:
    """Everything a plan-task folder holds, before it is written."""

    name: str
    """The folder's and task's name (`plan-...`, [a-z0-9-]+)."""
    title: str
    goal: str
    """description.md: the goal, its aims and constraints, as the agent reads it."""
    rubric: Rubric
    reference: str | None = None
    kind: PlanKind = PlanKind.PLAN
    paper: str | None = None
    """kind: revision only: the paper text candidates revise."""
    source: str | None = None
    """Where the goal comes from, in words (a dataset record, a paper file)."""
    seed: int = DEFAULT_ITEM_SEED
    extra: dict[str, Any] = field(default_factory=dict)
    """More `task.yaml` fields (limits, provenance), written as given."""


def slug(text: str, *, prefix: str = TASK_PREFIX) -> str:
    """A task name from free text: lower case, words joined by `-`, at most 48 characters,
    starting with `prefix`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    body = "-".join(words)[:_NAME_MAX].strip("-") or "task"
    return body if body.startswith(prefix) else f"{prefix}{body}"


def task_yaml(draft: PlanTaskDraft) -> dict[str, Any]:
    """The `task.yaml` mapping of a draft."""
    data: dict[str, Any] = {"name": draft.name, "title": draft.title, "kind": draft.kind.value}
    if draft.source:
        data["source"] = draft.source
    data.update(draft.extra)
    data["hidden_splits"] = {"seed": draft.seed}
    return data


def write_plan_task(root: Path, draft: PlanTaskDraft, *, overwrite: bool = False) -> Path:
    """Write `draft` as the folder `root / draft.name` and return it."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", draft.name):
        raise TaskError(f"task name must match [a-z0-9-]+, got {draft.name!r}")
    if draft.kind is PlanKind.REVISION and not (draft.paper or "").strip():
        raise TaskError(f"{draft.name}: a revision task needs the paper text to revise")
    if not draft.goal.strip():
        raise TaskError(f"{draft.name}: the goal (description.md) is empty")
    folder = root / draft.name
    if (folder / "task.yaml").exists():
        if not overwrite:
            raise TaskError(f"{folder}: already a task folder (pass --overwrite to replace it)")
        shutil.rmtree(folder)
    (folder / "private").mkdir(parents=True, exist_ok=True)
    (folder / "task.yaml").write_text(
        yaml.safe_dump(task_yaml(draft), sort_keys=False, allow_unicode=True)
    )
    (folder / "description.md").write_text(_ending_newline(draft.goal))
    dump_rubric(draft.rubric, folder / "private" / RUBRIC_FILE)
    if draft.reference and draft.reference.strip():
        (folder / "private" / REFERENCE_FILE).write_text(_ending_newline(draft.reference))
    if draft.kind is PlanKind.REVISION:
        (folder / "public").mkdir(exist_ok=True)
        (folder / "public" / PAPER_FILE).write_text(_ending_newline(draft.paper or ""))
    return folder


def _ending_newline(text: str) -> str:
    return text.strip() + "\n"
