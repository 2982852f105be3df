"""What a lesson is keyed by: the task type, its metric, and the shape of its data, bucketed.

Buckets, not exact sizes, so that a lesson from a 1,500-row table is found for a 4,000-row one.
Everything here comes from the task's spec and its public training table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from airlab.tasks.task import Task, read_table, train_table

TaskType = Literal["classification", "regression", "forecasting", "other"]
TargetKind = Literal["binary", "multiclass", "continuous", "count", "multi_target", "unknown"]

ROW_BUCKETS = ((1_000, "rows<1k"), (10_000, "rows1k-10k"), (100_000, "rows10k-100k"))
COL_BUCKETS = ((10, "cols<10"), (100, "cols10-100"), (1_000, "cols100-1k"))
CLASS_LIMIT = 20
"""A whole-number target with at most this many values is read as classes."""


class TaskKeys(BaseModel):
    """The keys of a task, as lessons are stored and retrieved by them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_type: TaskType
    metric: str
    rows: str
    cols: str
    target: TargetKind

    def tokens(self) -> list[str]:
        """The keys as words for the retriever (bucket names stay whole)."""
        return [self.task_type, self.metric, self.rows, self.cols, self.target]

    def describe(self) -> str:
        """A short phrase: 'classification task scored by accuracy (rows1k-10k, cols10-100,
        multiclass target)'."""
        return (
            f"{self.task_type} task scored by {self.metric} "
            f"({self.rows}, {self.cols}, {self.target} target)"
        )


def bucket(value: int, buckets: tuple[tuple[int, str], ...], last: str) -> str:
    return next((name for limit, name in buckets if value < limit), last)


def task_keys(task: Task) -> TaskKeys:
    """The keys of `task`, from its spec and its public training table (no hidden file)."""
    spec = task.spec
    path = train_table(task.public_dir)
    targets = list(spec.target_columns)
    if path is None:
        rows, columns, frame = 0, 0, None
    elif path.suffix == ".csv":  # a large table is counted, not loaded: only its targets are
        header = list(read_table(path, nrows=0).columns)
        columns = len(header)
        frame = read_table(path, columns=[c for c in targets if c in header])
        rows = len(frame)
    else:
        frame = read_table(path)
        rows, columns = len(frame), len(frame.columns)
    features = columns - len(targets) - 1
    target = _target_kind(task, frame)
    return TaskKeys(
        task_type=_task_type(task, target),
        metric=spec.metric,
        rows=bucket(rows, ROW_BUCKETS, "rows>=100k"),
        cols=bucket(max(features, 0), COL_BUCKETS, "cols>=1k"),
        target=target,
    )


def _task_type(task: Task, target: TargetKind) -> TaskType:
    if task.spec.time_column is not None:
        return "forecasting"
    try:
        kind = task.metric.kind
    except Exception:  # a task's own grader that cannot be loaded here: judge from the target
        kind = "raw"
    if kind in ("label", "probability") or target in ("binary", "multiclass"):
        return "classification"
    if kind == "value" or target in ("continuous", "count"):
        return "regression"
    return "other"


def _target_kind(task: Task, frame: object) -> TargetKind:
    import pandas as pd

    targets = list(task.spec.target_columns)
    if len(targets) != 1:
        return "multi_target"
    if not isinstance(frame, pd.DataFrame) or targets[0] not in frame.columns:
        return "unknown"
    values = frame[targets[0]].dropna()
    if not pd.api.types.is_numeric_dtype(values):
        return "binary" if values.nunique() == 2 else "multiclass"
    whole = bool((values % 1 == 0).all())
    distinct = values.nunique()
    if distinct == 2:
        return "binary"
    if whole and distinct <= CLASS_LIMIT and task.spec.metric not in ("poisson_deviance",):
        return "multiclass"
    if whole and (values >= 0).all():
        return "count"
    return "continuous"
