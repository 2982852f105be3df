"""What a task's submission and inputs look like, beyond one target column of tabular features.

Imported competitions ask for one probability column per class (MLE-bench's one-hot answers,
with the class in a training label column), several regression targets at once, or predictions
from free text. The templates write a matching script for each (see `render.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from airlab.errors import BackendError
from airlab.tasks.task import TRAIN_FILE, Task

ShapeKind = Literal["single", "class_probabilities", "multi_target"]
TEXT_MIN_WORDS = 3.0
"""A string column whose values average this many words or more, mostly distinct, is text."""
SAMPLE_ROWS = 2000


@dataclass(frozen=True)
class Shape:
    kind: ShapeKind = "single"
    label: str | None = None
    """`class_probabilities`: the training column holding the class of each row."""
    text: tuple[str, ...] = ()
    """Free-text input columns, vectorised with TF-IDF."""
    nonnegative: bool = False
    """`multi_target`: every training target is ≥ 0, so predictions are clipped at 0."""


def text_columns(frame: pd.DataFrame, exclude: set[str]) -> tuple[str, ...]:
    found = []
    for column in frame.columns:
        values = frame[column].dropna()
        if column in exclude or values.empty or values.dtype.kind != "O":
            continue
        words = values.astype(str).str.split().str.len().mean()
        if words >= TEXT_MIN_WORDS and values.nunique() > 0.5 * len(values):
            found.append(str(column))
    return tuple(found)


def shape_of(task: Task) -> Shape:
    """The shape of `task`; a multi-column submission the templates cannot write is an error."""
    spec = task.spec
    targets = list(spec.target_columns)
    train = pd.read_csv(task.public_dir / TRAIN_FILE, nrows=SAMPLE_ROWS)
    kind: ShapeKind = "single"
    label = None
    if len(targets) > 1:
        if all(t in train.columns for t in targets):
            numeric = all(pd.api.types.is_numeric_dtype(train[t]) for t in targets)
            if not numeric:
                raise BackendError(
                    f"templates backend: task {task.name!r} has non-numeric target columns"
                )
            kind = "multi_target"
        else:
            label = _label_column(train, targets, spec.id_column)
            if label is None:
                raise BackendError(
                    f"templates backend: task {task.name!r} has {len(targets)} target columns "
                    "that public/train.csv neither holds nor names in a label column"
                )
            kind = "class_probabilities"
    exclude = {spec.id_column, *targets, *([label] if label else [])}
    nonnegative = kind == "multi_target" and bool((train[targets] >= 0).all().all())
    return Shape(kind, label, text_columns(train, exclude), nonnegative)


def _label_column(train: pd.DataFrame, classes: list[str], id_column: str) -> str | None:
    wanted = set(classes)
    for column in train.columns:
        if column == id_column:
            continue
        values = set(train[column].dropna().astype(str))
        if values and values <= wanted:
            return str(column)
    return None
