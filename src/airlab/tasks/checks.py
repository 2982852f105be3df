"""The task's public data, checked before the first step: broken data fails in one line, at once.

Without it an empty `train.csv`, or a `test.csv` whose columns are not the training features,
starts the run, every node fails on it, and the budget is spent for nothing. `load_task` checks
the folder's own contract (task.yaml, test ids, answers); this checks what a candidate reads:

- the training table is present (`train.csv`, or `.tsv`, `.json`, `.jsonl`, `.parquet`, as
  benchmarks ship it) and has rows;
- it holds the target columns, or, for one-probability-column-per-class submissions, a label
  column whose values are those classes (`targets_in_train: false` in task.yaml skips this where
  the training data holds the targets in another shape, e.g. forecasting histories);
- `test.csv` holds every feature column of the training table (its columns but the id and
  targets, and but the `train_only_columns` task.yaml declares: fields the benchmark's test rows
  lack by design), and no column the training table lacks but the id;
- ids in the training table are unique.

Test inputs kept as a JSON table (MLE-bench's `test.json`, with `test.csv` listing the ids) are
compared as `test.csv` would be.

What cannot be checked (no training table but image folders, a JSON file that is not a list of
records) is named in a note, never refused: a real task the check does not understand still runs.
A CSV is read cheaply (its first rows, then its id column for uniqueness); a JSON or
Parquet table whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.tasks.task import PUBLIC_DIR, TEST_FILE, TEST_RECORDS, Task, read_csv

TRAIN_TABLES = (
    "train.csv",
    "train.csv.gz",
    "train.csv.zip",
    "train.tsv",
    "train.parquet",
    "train.json",
    "train.jsonl",
)
"""Names a training table goes by in `public/`, in the order they are looked for."""


class Severity(StrEnum):
    ERROR = "error"
    """The run would fail on it: refused before the first step."""
    NOTE = "note"
    """Worth knowing, or a check that could not be made (and what it skipped)."""


@dataclass(frozen=True)
class Finding:
    """One result of the data check, about one file (and column)."""

    severity: Severity
    file: str
    """The file's path inside the task folder, e.g. `public/test.csv`."""
    message: str
    column: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class DataReport:
    """Every finding of `check_task_data`, errors first."""

    task: Task
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.NOTE]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_first(self) -> None:
        """A TaskError of the first error, naming the file by its full path."""
        if self.errors:
            first = self.errors[0]
            raise TaskError(f"{self.task.root / first.file}: {first.message}")


@dataclass(frozen=True)
class _Table:
    """The header and size of a training table, read cheaply."""

    columns: list[str]
    has_rows: bool
    sample: pd.DataFrame
    """Its first rows (for a one-hot label column's values)."""
    ids: pd.Series | None
    """Every row's id (as strings), when the table has the id column."""


SAMPLE_ROWS = 2000


def find_train_table(task: Task) -> Path | None:
    """The task's training table in `public/`, or None."""
    for name in TRAIN_TABLES:
        path = task.public_dir / name
        if path.is_file():
            return path
    return None


def check_task_data(task: Task) -> DataReport:
    """Check the public data of a loaded task; never raises for a finding, only records it."""
    findings: list[Finding] = []
    if task.is_text:  # a plan or revision task has no tables (its rubric was checked on load)
        return DataReport(task, tuple(findings))
    test_file = f"{PUBLIC_DIR}/{TEST_FILE}"
    test_columns = [str(c) for c in read_csv(task.public_dir / TEST_FILE, nrows=0).columns]
    path = find_train_table(task)
    if path is None:
        findings.append(_no_train_table(task))
        return DataReport(task, tuple(findings))
    train_file = f"{PUBLIC_DIR}/{path.name}"
    try:
        table = _read_table(path, task.spec.id_column)
    except _Unreadable as exc:
        severity = Severity.NOTE if exc.skipped else Severity.ERROR
        findings.append(Finding(severity, train_file, str(exc)))
        return DataReport(task, tuple(findings))
    if not table.has_rows:
        findings.append(Finding(Severity.ERROR, train_file, "has no rows"))
        return DataReport(task, tuple(findings))
    spec = task.spec
    label = _check_targets(task, table, train_file, findings)
    if test_columns == [spec.id_column]:
        records = _test_records(task)
        if records is not None:  # MLE-bench's test.json: the inputs, test.csv their ids
            test_file, test_columns = records
        else:
            findings.append(_ids_only_test(task, test_file))
            test_columns = table.columns  # nothing to compare: the inputs are files
    findings += _check_columns(task, table, test_columns, label, path.name, test_file)
    if table.ids is not None and table.ids.duplicated().any():
        duplicate = table.ids[table.ids.duplicated()].iloc[0]
        findings.append(
            Finding(
                Severity.ERROR,
                train_file,
                f"id {duplicate!r} (column {spec.id_column!r}) appears more than once",
                spec.id_column,
            )
        )
    findings.sort(key=lambda f: f.severity != Severity.ERROR)
    return DataReport(task, tuple(findings))


def _check_columns(
    task: Task,
    table: _Table,
    test_columns: list[str],
    label: str | None,
    train_name: str,
    test_file: str,
) -> list[Finding]:
    """Test inputs hold the training features, and nothing the training rows lack; one finding
    per kind of problem, naming its first column."""
    spec = task.spec
    not_features = {spec.id_column, *spec.target_columns, *spec.train_only_columns, label}
    missing = [c for c in table.columns if c not in not_features and c not in test_columns]
    unknown = [c for c in test_columns if c != spec.id_column and c not in table.columns]
    undeclared = [c for c in spec.train_only_columns if c not in table.columns]
    found = []
    if missing:
        found.append(
            Finding(
                Severity.ERROR,
                test_file,
                f"feature column {missing[0]!r} of {train_name} is missing{_more(missing)} (a "
                "column only the training rows have by design goes in task.yaml's "
                "train_only_columns)",
                missing[0],
            )
        )
    if unknown:
        found.append(
            Finding(
                Severity.ERROR,
                test_file,
                f"column {unknown[0]!r} is not in {train_name}{_more(unknown)} (a model trained "
                "there cannot use it)",
                unknown[0],
            )
        )
    if undeclared:
        found.append(
            Finding(
                Severity.NOTE,
                f"{PUBLIC_DIR}/{train_name}",
                f"has no column {undeclared[0]!r}, which task.yaml lists in train_only_columns",
                undeclared[0],
            )
        )
    return found


def _more(columns: list[str]) -> str:
    return f" (and {len(columns) - 1} more)" if len(columns) > 1 else ""


def require_task_data(task: Task) -> DataReport:
    """`check_task_data`, raising the first error as a one-line TaskError (before any step)."""
    report = check_task_data(task)
    report.raise_first()
    return report


def _no_train_table(task: Task) -> Finding:
    """No training table: an error when `public/` holds nothing else to learn from, a note
    (the check skipped) when it holds other data (image folders, archives, label files)."""
    others = sorted(
        p.name
        for p in task.public_dir.iterdir()
        if p.name not in (TEST_FILE, task.spec.sample_submission) and not p.name.startswith(".")
    )
    where = f"{PUBLIC_DIR}/{TRAIN_TABLES[0]}"
    if not others:
        return Finding(Severity.ERROR, where, "file not found (public/ holds no training data)")
    shown = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
    return Finding(
        Severity.NOTE,
        PUBLIC_DIR,
        f"no training table ({', '.join(TRAIN_TABLES[:1] + TRAIN_TABLES[3:])}); training data "
        f"not checked ({shown})",
    )


def _test_records(task: Task) -> tuple[str, list[str]] | None:
    """The file and columns of test inputs kept as a JSON table beside an ids-only test.csv."""
    for name in TEST_RECORDS:
        path = task.public_dir / name
        if path.is_file():
            try:
                table = _read_table(path, task.spec.id_column)
            except _Unreadable:
                return None
            return f"{PUBLIC_DIR}/{name}", table.columns
    return None


def _ids_only_test(task: Task, test_file: str) -> Finding:
    """`test.csv` holds ids alone: fine when the test inputs are other files (images, MLE-bench's
    `test.json`), an error when public/ holds no other test inputs."""
    inputs = sorted(
        p.name
        for p in task.public_dir.iterdir()
        if p.name.startswith("test") and p.name != TEST_FILE
    )
    if not inputs:
        return Finding(
            Severity.ERROR, test_file, "holds ids alone and public/ has no other test inputs"
        )
    return Finding(
        Severity.NOTE,
        test_file,
        f"holds ids alone (the inputs are {', '.join(inputs[:3])}); feature columns not checked",
    )


class _Unreadable(Exception):
    """The table cannot be read (an error), or is not a table this check reads (skipped)."""

    def __init__(self, message: str, *, skipped: bool = False) -> None:
        super().__init__(message)
        self.skipped = skipped


def _read_table(path: Path, id_column: str) -> _Table:
    name = path.name
    try:
        if name.endswith(".json"):
            return _json_table(path, id_column)
        if name.endswith(".jsonl"):
            frame = pd.read_json(path, lines=True, dtype=False)
        elif name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            sep = "\t" if name.endswith(".tsv") else ","
            frame = pd.read_csv(path, sep=sep, nrows=SAMPLE_ROWS)
            if id_column in frame.columns:  # the whole id column, for uniqueness
                ids = pd.read_csv(path, sep=sep, usecols=[id_column], dtype=str)[id_column]
                return _Table([str(c) for c in frame.columns], not frame.empty, frame, ids)
    except pd.errors.EmptyDataError:
        raise _Unreadable("is empty (no header, no rows)") from None
    except ImportError as exc:
        raise _Unreadable(f"not checked: {exc}", skipped=True) from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _Unreadable(f"cannot read it: {reason}") from None
    return _frame_table(frame, id_column)


def _json_table(path: Path, id_column: str) -> _Table:
    """A JSON training table is a list of records (MLE-bench's `train.json`)."""
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Unreadable(f"not valid JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise _Unreadable("not a list of records; its columns were not checked", skipped=True)
    return _frame_table(pd.DataFrame.from_records(data), id_column)


def _frame_table(frame: pd.DataFrame, id_column: str) -> _Table:
    ids = frame[id_column].astype(str) if id_column in frame.columns else None
    return _Table([str(c) for c in frame.columns], not frame.empty, frame.head(SAMPLE_ROWS), ids)


def _check_targets(task: Task, table: _Table, train_file: str, found: list[Finding]) -> str | None:
    """Every target column in the training table, or a label column of them (one-hot
    submissions); returns that label column."""
    from airlab.tasks.importers.holdout import one_hot_label

    spec = task.spec
    missing = [t for t in spec.target_columns if t not in table.columns]
    if not missing or not spec.targets_in_train:
        return None
    present = len(missing) < len(spec.target_columns)
    label = None if present else one_hot_label(table.sample, missing, spec.id_column)
    if label is None:
        found.append(
            Finding(
                Severity.ERROR,
                train_file,
                f"target column {missing[0]!r} is missing (nor does a label column hold the "
                "target columns as its values)",
                missing[0],
            )
        )
    return label
