"""What a task's submission and inputs look like, beyond one target column of tabular features.

Imported competitions ask for one probability column per class (MLE-bench's one-hot answers,
with the class in a training label column), several regression targets at once, or predictions
from free text. Their training table may be JSON or parquet, and some cells hold lists (AIRS's
graphs and molecules, JSON lists in the CSVs): numeric lists are summarised, lists of text joined.
The templates write a matching script for each (see `render.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from airlab.errors import BackendError
from airlab.tasks.importers.common import decode_lists, plain_lists
from airlab.tasks.task import Task, read_table, test_table, train_table

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
    train_file: str = "train.csv"
    """The public training table's file name (CSV, JSON, JSON lines or parquet)."""
    test_file: str = "test.csv"
    """The table of test inputs: `test.csv`, or the JSON table beside an ids-only one."""
    number_lists: tuple[str, ...] = ()
    """Input columns of numeric lists, summarised as length, mean, min and max."""
    text_lists: tuple[str, ...] = ()
    """Input columns of lists of text, joined into one text each."""
    unused: tuple[str, ...] = ()
    """Input columns of nested values (mappings, mixed lists) that the script leaves out."""
    target_list: bool = False
    """`single`: the target holds one-item lists (`[0.95]`); the script fits the item and writes
    predictions back as one-item JSON lists."""


def flat(value: object) -> list:
    if isinstance(value, list | tuple):
        return [x for item in value for x in flat(item)]
    return [value]


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def list_kinds(frame: pd.DataFrame, columns: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The columns holding lists, split into lists of numbers, lists of anything else, and
    columns with other nested values (mappings, a mix), which the templates leave out."""
    decoded = decode_lists(frame[columns]) if columns else frame[columns]
    numbers: list[str] = []
    texts: list[str] = []
    nested: list[str] = []
    for column in columns:
        values = decoded[column].dropna()
        lists = values.map(lambda v: isinstance(v, list))
        if values.empty or not lists.any():
            if values.map(lambda v: isinstance(v, dict)).any():
                nested.append(column)
            continue
        items = [x for v in values[lists] for x in flat(v)]
        if not lists.all() or any(isinstance(x, dict) for x in items):
            nested.append(column)
        else:
            (numbers if all(is_number(x) for x in items) else texts).append(column)
    return numbers, texts, nested


def read_train(
    task: Task, nrows: int | None = SAMPLE_ROWS, columns: list[str] | None = None
) -> pd.DataFrame:
    """The task's training table (a sample of `nrows`; only `columns` if given; those it lacks
    are left out)."""
    path = train_table(task.public_dir)
    if path is None:
        raise BackendError(
            f"templates backend: task {task.name!r} has no public training table "
            "(train.csv, train.jsonl, train.json or train.parquet)"
        )
    if columns is not None:
        header = read_table(path, nrows=0).columns if path.suffix == ".csv" else None
        if header is not None:
            columns = [c for c in columns if c in header]
        else:  # JSON and parquet: read whole, keep what exists
            frame = read_table(path, nrows=nrows)
            return plain_lists(frame[[c for c in columns if c in frame.columns]])
    return plain_lists(read_table(path, nrows=nrows, columns=columns))  # parquet: arrays


def one_item_list_target(values: pd.Series) -> bool:
    decoded = decode_lists(values.dropna().to_frame())[values.name]
    return not decoded.empty and bool(
        decoded.map(lambda v: isinstance(v, list) and len(v) == 1 and is_number(v[0])).all()
    )


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


SHAPES_KEPT = 64
_shapes: dict[tuple[object, ...], Shape] = {}


def shape_of(task: Task) -> Shape:
    """The shape of `task`; a multi-column submission the templates cannot write is an error.

    Kept per task and public files (path, size, modification time): every draft and improve
    asks for it, and working it out reads and decodes a sample of both tables (0.14 s for
    digits)."""
    key = _shape_key(task)
    shape = _shapes.get(key)
    if shape is None:
        shape = _work_out_shape(task)
        if len(_shapes) >= SHAPES_KEPT:
            _shapes.clear()
        _shapes[key] = shape
    return shape


def _shape_key(task: Task) -> tuple[object, ...]:
    stamps = []
    for path in sorted(task.public_dir.iterdir()) if task.public_dir.is_dir() else ():
        stat = path.stat()
        stamps.append((path.name, stat.st_size, stat.st_mtime_ns))
    return (str(task.public_dir.resolve()), task.spec.model_dump_json(), tuple(stamps))


def _work_out_shape(task: Task) -> Shape:
    spec = task.spec
    targets = list(spec.target_columns)
    train = read_train(task)
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
                    "that the training table neither holds nor names in a label column"
                )
            kind = "class_probabilities"
    exclude = {spec.id_column, *targets, *([label] if label else [])}
    nonnegative = kind == "multi_target" and bool((train[targets] >= 0).all().all())
    test_path = test_table(task.public_dir, spec.id_column)
    test = read_table(test_path, nrows=SAMPLE_ROWS)
    shared = [c for c in train.columns if c in test.columns and c not in exclude]
    numbers, texts, nested = list_kinds(train, shared)
    joined = train[shared].drop(columns=[*numbers, *nested])
    for column in texts:
        values = decode_lists(joined[[column]])[column]
        joined[column] = values.map(lambda v: " ".join(str(x) for x in flat(v)))
    target_list = (
        kind == "single" and targets[0] in train and one_item_list_target(train[targets[0]])
    )
    path = train_table(task.public_dir)
    return Shape(
        kind,
        label,
        text_columns(joined, exclude),
        nonnegative,
        train_file=path.name if path else "train.csv",
        test_file=test_path.name,
        number_lists=tuple(numbers),
        text_lists=tuple(texts),
        target_list=target_list,
        unused=tuple(nested),
    )


def _label_column(train: pd.DataFrame, classes: list[str], id_column: str) -> str | None:
    wanted = set(classes)
    for column in train.columns:
        if column == id_column:
            continue
        values = set(train[column].dropna().astype(str))
        if values and values <= wanted:
            return str(column)
    return None
