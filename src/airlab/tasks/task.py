"""A loaded, validated task folder.

Layout (see docs/architecture.md): `task.yaml`, `description.md`, `public/` (what the agent sees,
with `test.csv` holding the inputs of every hidden row) and `private/answers.csv` (id, targets,
split).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from airlab.errors import TaskError
from airlab.tasks.spec import TASK_FILE, TaskSpec, load_spec

if TYPE_CHECKING:
    from airlab.grading.metrics import Metric
    from airlab.plans.rubric import ItemSplit, Rubric

DESCRIPTION_FILE = "description.md"
PUBLIC_DIR = "public"
PRIVATE_DIR = "private"
ANSWERS_FILE = "answers.csv"
TEST_FILE = "test.csv"
TRAIN_FILE = "train.csv"
TRAIN_TABLES = (TRAIN_FILE, "train.jsonl", "train.json", "train.parquet")
"""The names a public training table may have (imported benchmarks keep their own format)."""
SAMPLE_SUBMISSION_FILE = "sample_submission.csv"
SPLIT_COLUMN = "split"
SPLITS = ("search", "select", "test")
RUBRIC_PATH = "private/rubric.yaml"
REFERENCE_PATH = "private/reference.md"
PAPER_PATH = "public/paper.md"
"""A text task's files (see docs/plans.md): its hidden rubric, an optional reference solution,
and, for a revision, the paper to revise."""


@dataclass(frozen=True, eq=False)
class Task:
    """A task folder whose files were checked when it was loaded."""

    spec: TaskSpec
    root: Path
    description: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def public_dir(self) -> Path:
        return self.root / PUBLIC_DIR

    @property
    def private_dir(self) -> Path:
        return self.root / PRIVATE_DIR

    @property
    def answers_path(self) -> Path:
        return self.private_dir / ANSWERS_FILE

    @property
    def grader_path(self) -> Path | None:
        """The task's own grading script, when its metric is not a registered one."""
        return self.root / self.spec.grader if self.spec.grader else None

    @cached_property
    def metric(self) -> Metric:
        """The task's one metric, wherever a submission is scored or checked (the grader, ReAct's
        format check, the templates): its own grading script when it has one, else the
        registered metric of that name."""
        from airlab.grading.custom import custom_metric
        from airlab.grading.metrics import METRICS

        if self.spec.is_text:
            from airlab.plans.grading import RUBRIC_SCORE

            return RUBRIC_SCORE
        if self.grader_path is not None:
            return custom_metric(self.spec.metric, self.spec.direction, self.grader_path)
        if self.spec.grade_fn is not None:  # a benchmark's own grader, by its import path
            return custom_metric(self.spec.metric, self.spec.direction, self.spec.grade_fn)
        return METRICS.get(self.spec.metric)

    @property
    def is_text(self) -> bool:
        """A plan or revision task: the candidate is a text a rubric judge grades."""
        return self.spec.is_text

    @cached_property
    def rubric(self) -> Rubric:
        """The hidden rubric of a text task. Only graders call this; no prompt may show it."""
        from airlab.plans.rubric import load_rubric

        return load_rubric(self.root / RUBRIC_PATH)

    @cached_property
    def item_split(self) -> ItemSplit:
        """The rubric's leaves dealt once into search / select / test (seed: `hidden_splits`)."""
        from airlab.plans.rubric import split_items

        return split_items(self.rubric, seed=self.spec.hidden_splits.seed or 0)

    @property
    def reference_text(self) -> str | None:
        """A text task's reference solution (`private/reference.md`), when it has one."""
        path = self.root / REFERENCE_PATH
        return path.read_text() if path.is_file() else None

    @property
    def paper_text(self) -> str | None:
        """A revision task's paper (`public/paper.md`), which the agent reads and revises."""
        path = self.root / PAPER_PATH
        return path.read_text() if path.is_file() else None

    @property
    def sample_submission_path(self) -> Path:
        return self.public_dir / self.spec.sample_submission

    @property
    def leaderboard_path(self) -> Path | None:
        return self.root / self.spec.leaderboard if self.spec.leaderboard else None

    @cached_property
    def test_ids(self) -> pd.Index:
        """Ids of every row a submission must cover, as strings."""
        frame = read_csv(self.public_dir / TEST_FILE, usecols=[self.spec.id_column])
        return pd.Index(frame[self.spec.id_column].astype(str), name=self.spec.id_column)

    def read_answers(self) -> pd.DataFrame:
        """The hidden answers. Only the grader calls this; nothing the agent sees may."""
        return read_csv(self.answers_path, dtype={self.spec.id_column: str})

    def leaderboard_scores(self) -> list[float] | None:
        path = self.leaderboard_path
        if path is None:
            return None
        frame = read_csv(path)
        if "score" not in frame.columns:
            raise TaskError(f"{path}: missing column 'score'")
        return [float(value) for value in frame["score"].dropna()]


def train_table(public_dir: Path) -> Path | None:
    """The task's public training table: `train.csv`, else `train.jsonl`, `train.json` or
    `train.parquet`, whichever exists."""
    return next((public_dir / n for n in TRAIN_TABLES if (public_dir / n).is_file()), None)


TEST_RECORDS = ("test.json", "test.jsonl")
"""Test inputs kept as a JSON table beside an ids-only `test.csv` (MLE-bench's JSON layout)."""


def test_table(public_dir: Path, id_column: str) -> Path:
    """The table holding the test inputs: `test.csv`, or, where it lists the ids alone, the JSON
    table beside it (`test.json`, as MLE-bench lays out its JSON competitions)."""
    csv = public_dir / TEST_FILE
    if list(read_csv(csv, nrows=0).columns) == [id_column]:
        for name in TEST_RECORDS:
            if (public_dir / name).is_file():
                return public_dir / name
    return csv


def read_table(
    path: Path, nrows: int | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """A CSV, JSON (records), JSON-lines or parquet table, by suffix (only `columns`, if given);
    a one-line TaskError naming the file if it cannot be read."""
    if path.suffix == ".csv":
        return read_csv(path, nrows=nrows, usecols=columns)
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, columns=columns)
        else:
            frame = pd.read_json(path, lines=path.suffix == ".jsonl", dtype=False)
            frame = frame if columns is None else frame[columns]
    except (ValueError, ImportError, OSError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TaskError(f"{path}: cannot read table: {reason}") from None
    return frame if nrows is None else frame.head(nrows)


def read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    """pandas.read_csv with a one-line TaskError naming the file."""
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    try:
        return pd.read_csv(path, **kwargs)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TaskError(f"{path}: cannot read CSV: {reason}") from None


def load_task(root: Path) -> Task:
    """Load a task folder and check that its files agree with each other."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise TaskError(f"{root}: not a task folder (no such directory)")
    spec = load_spec(root / TASK_FILE)
    description_path = root / DESCRIPTION_FILE
    if not description_path.is_file():
        raise TaskError(f"{description_path}: file not found")
    description = description_path.read_text()
    if not description.strip():
        raise TaskError(f"{description_path}: is empty")
    if spec.grader is not None and not (root / spec.grader).is_file():
        raise TaskError(f"{root / TASK_FILE}: field 'grader': file {spec.grader!r} not found")
    task = Task(spec=spec, root=root, description=description)
    if spec.is_text:
        _check_text_task(task)
        return task
    _check_public(task)
    _check_answers(task)
    return task


def _check_text_task(task: Task) -> None:
    """A plan or revision task: a rubric that loads and splits three ways; a revision's paper."""
    from airlab.plans.rubric import ITEM_SPLITS

    split = task.item_split  # loads the rubric; one line on a bad file or too few items
    for name in ITEM_SPLITS:
        if not split.ids(name):
            raise TaskError(f"{task.root / RUBRIC_PATH}: split {name!r} has no items")
    if task.spec.kind == "revision" and task.paper_text is None:
        raise TaskError(f"{task.root / PAPER_PATH}: file not found (a revision task needs it)")


def _check_public(task: Task) -> None:
    if not task.public_dir.is_dir():
        raise TaskError(f"{task.public_dir}: directory not found")
    test_path = task.public_dir / TEST_FILE
    header = read_csv(test_path, nrows=0)
    if task.spec.id_column not in header.columns:
        raise TaskError(f"{test_path}: missing id column {task.spec.id_column!r} (from task.yaml)")
    time_column = task.spec.time_column
    if time_column is not None and time_column not in header.columns:
        raise TaskError(f"{test_path}: missing time column {time_column!r} (from task.yaml)")
    if task.test_ids.has_duplicates:
        duplicate = task.test_ids[task.test_ids.duplicated()][0]
        raise TaskError(f"{test_path}: id {duplicate!r} appears more than once")


def _check_answers(task: Task) -> None:
    path = task.answers_path
    answers = task.read_answers()
    needed = [task.spec.id_column, *task.spec.target_columns, SPLIT_COLUMN]
    for column in needed:
        if column not in answers.columns:
            raise TaskError(f"{path}: missing column {column!r}")
    unknown = sorted(set(answers[SPLIT_COLUMN].astype(str)) - set(SPLITS))
    if unknown:
        raise TaskError(f"{path}: column 'split' has {unknown[0]!r}; allowed: {', '.join(SPLITS)}")
    segment = task.spec.segment_column
    if segment is not None and segment not in answers.columns:
        header = read_csv(task.public_dir / TEST_FILE, nrows=0)
        if segment not in header.columns:
            raise TaskError(
                f"{task.root / TASK_FILE}: field 'segment_column': {segment!r} is a column of "
                f"neither {path.name} nor {TEST_FILE}"
            )
    for split in SPLITS:
        if not (answers[SPLIT_COLUMN] == split).any():
            raise TaskError(f"{path}: split {split!r} has no rows")
    ids = answers[task.spec.id_column].astype(str)
    if ids.duplicated().any():
        raise TaskError(f"{path}: id {ids[ids.duplicated()].iloc[0]!r} appears more than once")
    missing = task.test_ids.difference(pd.Index(ids))
    if len(missing):
        raise TaskError(f"{path}: id {missing[0]!r} of public/test.csv has no answer")
    extra = pd.Index(ids).difference(task.test_ids)
    if len(extra):
        raise TaskError(f"{path}: id {extra[0]!r} is not in public/test.csv")
    for column in task.spec.target_columns:
        if answers[column].isna().any():
            raise TaskError(f"{path}: column {column!r} has missing answers")
