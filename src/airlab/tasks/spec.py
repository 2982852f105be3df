"""The `task.yaml` schema: every field validated, unknown fields rejected by name."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from airlab.errors import TaskError
from airlab.params import describe_error
from airlab.yamlfile import read_yaml_mapping

TASK_FILE = "task.yaml"
TaskType = Literal["classification", "regression", "forecasting", "ranking", "other"]
Direction = Literal["maximize", "minimize"]
TaskKind = Literal["code", "plan", "revision"]
TEXT_KINDS = ("plan", "revision")
"""Kinds whose candidate is a text graded by a hidden rubric (see `airlab.plans`), not code."""
RUBRIC_METRIC = "rubric"
_TEXT_DEFAULTS: dict[str, object] = {
    "type": "other",
    "metric": RUBRIC_METRIC,
    "direction": "maximize",
    "id_column": "item",
    "target_columns": ["satisfied"],
}
"""What a text task's code-task fields are when it leaves them out (it has no table to grade)."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_GRADE_FN = re.compile(r"^[A-Za-z_][\w.-]*:[A-Za-z_]\w*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskLimits(_Strict):
    """Per-candidate execution limits the task asks for."""

    time_s: float = Field(600.0, gt=0)
    memory_mb: int = Field(4096, gt=0)
    cpus: int = Field(1, ge=1)
    gpus: int = Field(0, ge=0)


class ScoreOf(StrEnum):
    """What a recorded baseline score is the score of."""

    SOLUTION = "solution"
    """`baseline.py` solves the task (it must beat the sample submission)."""
    SAMPLE_SUBMISSION = "sample-submission"
    """`baseline.py` hands in the sample submission: an imported benchmark's own zero point."""
    REPORTED = "reported"
    """A score the benchmark reports for its own baseline (MLGym's `baseline_scores`); airlab's
    `baseline.py` need not reproduce it."""


class ReferenceScore(_Strict):
    """A measured score with a note on what produced it."""

    score: float
    note: str = ""
    of: ScoreOf = ScoreOf.SOLUTION


class SplitSource(StrEnum):
    """Where the `search` and `select` rows come from."""

    HELD_OUT = "held-out"
    """The held-out labelled rows are cut in three: search, select and test (airlab's default)."""
    TRAIN = "train"
    """Search and select are cut out of the labelled training rows, so the held-out test set
    stays whole (AIRA-2's protocol; what makes an imported competition's medal its own)."""


class HiddenSplits(_Strict):
    """How the hidden splits were drawn, recorded so that a score can be traced to its rows."""

    source: SplitSource = SplitSource.HELD_OUT
    seed: int | None = None
    train_fraction: float = Field(0.2, gt=0, lt=1)
    """`source: train`: the share of the labelled training rows moved to search and select."""


class PackageSource(_Strict):
    """Data that ships inside an installed Python package: hidden from every candidate.

    `paths` are globs relative to the folder of the import package `module` (default: the first
    component of `loader`), resolved on the machine that runs the candidate, so they follow the
    installed package wherever it lives (see `airlab.sandbox.paths.package_data_paths`)."""

    package: str = Field(min_length=1)
    """The distribution's name, as pip knows it (e.g. `scikit-learn`)."""
    loader: str | None = None
    """The function that loads the data (e.g. `sklearn.datasets.load_digits`)."""
    module: str | None = None
    """The import package the globs are relative to; default: `loader`'s first component."""
    paths: list[str] = Field(min_length=1)
    """The data files (or folders) inside it, e.g. `datasets/data/digits.csv.gz`."""

    @field_validator("paths")
    @classmethod
    def _paths_stay_inside(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip() or pattern.startswith("/") or ".." in Path(pattern).parts:
                raise ValueError(f"expected a glob inside the package, got {pattern!r}")
        return value

    @model_validator(mode="after")
    def _has_a_module(self) -> PackageSource:
        if self.module is None and self.loader is None:
            raise ValueError("a package source needs 'loader' or 'module'")
        if not _DOTTED.match(self.import_name):
            raise ValueError(f"expected a dotted Python name, got {self.import_name!r}")
        return self

    @property
    def import_name(self) -> str:
        return self.module or (self.loader or "").split(".")[0]


class UrlSource(_Strict):
    """Data downloaded from a URL (nothing on the machine to hide)."""

    url: str = Field(min_length=1)


class CompetitionSource(_Strict):
    """Data from a competition (e.g. a Kaggle one, as MLE-bench imports them)."""

    competition: str = Field(min_length=1)
    platform: str = "kaggle"


def _source_kind(value: object) -> str | None:
    """Which kind of source an entry is, by the key that names it (package, url, competition)."""
    keys = value.keys() if isinstance(value, dict) else vars(value) if value is not None else ()
    for kind in ("package", "url", "competition"):
        if kind in keys:
            return kind
    return None


DataSource = Annotated[
    Annotated[PackageSource, Tag("package")]
    | Annotated[UrlSource, Tag("url")]
    | Annotated[CompetitionSource, Tag("competition")],
    Discriminator(
        _source_kind,
        custom_error_type="source_kind",
        custom_error_message="each entry needs one of the keys package, url or competition",
    ),
]


class TaskSpec(_Strict):
    """Contents of a task folder's `task.yaml`."""

    name: str
    title: str
    kind: TaskKind = "code"
    """`code`: a candidate is a script graded on hidden rows; `plan` (a research plan) and
    `revision` (a revised paper): a candidate is a text graded by a judge on a hidden rubric
    (`private/rubric.yaml`), and the table fields below take defaults."""
    type: TaskType
    metric: str
    direction: Direction
    id_column: str
    target_columns: list[str] = Field(min_length=1)
    limits: TaskLimits = TaskLimits()
    baseline: ReferenceScore | None = None
    reference: ReferenceScore | None = None
    leaderboard: str | None = None
    labels: list[str] | None = None
    """Classification: the known class labels (as strings), for validating submissions."""
    metric_params: dict[str, float | int | str] = Field(default_factory=dict)
    """Extra metric settings, e.g. `{seasonality: 12}` for MASE."""
    positive_label: str = "1"
    """Binary probability metrics (roc_auc, log_loss): the label whose probability is submitted."""
    time_column: str | None = None
    """Forecasting: the column that orders rows in time; test rows come after every train row."""
    train_only_columns: list[str] = Field(default_factory=list)
    """Columns of the training table that `test.csv` lacks by the benchmark's design (fields
    known only after the fact, e.g. MLE-bench's `*_at_retrieval`): the data check
    (`tasks/checks.py`) does not call them missing features."""
    targets_in_train: bool = True
    """False where the training table holds the targets in another shape (forecasting
    histories): the data check then does not look for the target columns there."""
    segment_column: str | None = None
    """The category-expert ensemble's declared categories (`airlab.ensemble`): a column of the
    hidden answers file (beside the targets; never shown) or of the public `test.csv`, whose
    values split the rows into segments that may each want their own expert (a region, a data
    source, a question type)."""
    grader: str | None = None
    """A Python file in the task folder defining `grade(submission, answers) -> float`, for
    metrics the registry lacks. It runs in the framework, never where a candidate can read it."""
    grade_fn: str | None = None
    """`module.path:function`, an installed grader imported by its module path (MLE-bench's
    registry form, e.g. `mlebench.competitions.leaf-classification.grade:grade`), so that its
    relative imports work; called as `grade(submission, answers)` in the framework."""
    hidden_splits: HiddenSplits = HiddenSplits()
    sample_submission: str = "sample_submission.csv"
    """The sample submission's name in `public/` (MLE-bench keeps each competition's own, e.g.
    `sampleSubmission.csv`)."""
    source: str | None = None
    """Where the data comes from, in words (e.g. `statsmodels.datasets.fair`), shown by `airlab
    tasks`; `provenance` is the declaration the sandbox acts on."""
    provenance: list[DataSource] = Field(default_factory=list)
    """Where the data came from: packages (their data files are hidden from candidates), URLs,
    competitions. See docs/writing-a-task.md."""
    optimal_score: float | None = None
    """The best attainable score, for normalised scores (AIRS-Bench); defaults to the metric's."""
    worst_score: float | None = None
    """An estimated worst score, the zero of normalised scores (AIRS-Bench)."""

    @field_validator("name")
    @classmethod
    def _name_is_an_id(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"must match [a-z0-9-]+, got {value!r}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _text_defaults(cls, data: object) -> object:
        """A plan or revision task names no metric, direction or columns: it is graded by its
        rubric, higher is better."""
        if isinstance(data, dict) and data.get("kind") in TEXT_KINDS:
            return {**_TEXT_DEFAULTS, **data}
        return data

    @model_validator(mode="after")
    def _metric_is_registered(self) -> TaskSpec:
        from airlab.grading.metrics import METRICS

        if self.is_text:
            if self.metric != RUBRIC_METRIC or self.direction != "maximize":
                raise ValueError(
                    f"a {self.kind} task is graded by its rubric: leave out 'metric' and "
                    f"'direction' (or give {RUBRIC_METRIC!r} and 'maximize')"
                )
            if self.grader is not None or self.grade_fn is not None:
                raise ValueError(f"a {self.kind} task is graded by its rubric, not by 'grader'")
            return self
        if self.grader is not None and self.grade_fn is not None:
            raise ValueError("fields 'grader' and 'grade_fn' exclude each other; keep one")
        if self.grade_fn is not None and not _GRADE_FN.match(self.grade_fn):
            raise ValueError(
                f"field 'grade_fn': expected module.path:function, got {self.grade_fn!r}"
            )
        if self.grader is None and self.grade_fn is None and self.metric not in METRICS:
            raise ValueError(f"field 'metric': {METRICS.unknown_message(self.metric)}")
        return self

    @property
    def is_text(self) -> bool:
        """The candidate is a text graded by a rubric judge (a plan or a revision)."""
        return self.kind in TEXT_KINDS

    @property
    def has_own_grader(self) -> bool:
        """Graded by the task's own code (a script or an installed function), not the registry."""
        return self.grader is not None or self.grade_fn is not None

    @property
    def package_sources(self) -> list[PackageSource]:
        """The declared sources that ship inside installed packages (to hide)."""
        return [s for s in self.provenance if isinstance(s, PackageSource)]

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"


def load_spec(path: Path) -> TaskSpec:
    """Read and validate a `task.yaml`; raise TaskError with one line on any problem."""
    raw = read_yaml_mapping(path, TaskError)
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise TaskError(describe_error(str(path), exc, TaskSpec)) from None
    _check_metric_fits_task(path, spec)
    return spec


def _check_metric_fits_task(path: Path, spec: TaskSpec) -> None:
    from airlab.grading.metrics import METRICS

    if spec.is_text:
        return
    if spec.id_column in spec.target_columns:
        raise TaskError(f"{path}: field 'id_column' {spec.id_column!r} is also a target column")
    if spec.time_column is not None and spec.time_column in (spec.id_column, *spec.target_columns):
        raise TaskError(
            f"{path}: field 'time_column' {spec.time_column!r} is also the id or a target column"
        )
    if spec.grade_fn is not None:
        return
    if spec.grader is not None:
        if Path(spec.grader).is_absolute() or ".." in Path(spec.grader).parts:
            raise TaskError(f"{path}: field 'grader' must be a file inside the task folder")
        return
    metric = METRICS.get(spec.metric)
    if metric.direction != spec.direction:
        raise TaskError(
            f"{path}: field 'direction' is {spec.direction!r} but metric {spec.metric!r} "
            f"is {metric.direction}d"
        )
    if metric.needs_single_target and len(spec.target_columns) != 1:
        raise TaskError(
            f"{path}: field 'target_columns': metric {spec.metric!r} needs exactly one column"
        )
