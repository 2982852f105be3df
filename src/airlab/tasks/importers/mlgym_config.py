"""MLGym's task and dataset configs as pydantic models: a bad value is one line naming the file
and the field, not a traceback halfway through an import.

The fields are MLGym's own (`TaskConfig` and `DatasetConfig` in `mlgym/environment/tasks.py`,
commit in docs/importers.md) with their types; a key MLGym does not know is refused by name, as
MLGym itself would refuse it. What kind of submission a task wants is its `task_entrypoint`:
only `CSVSubmissionTasks` hands in a CSV file that airlab can grade.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from airlab.errors import TaskError
from airlab.params import describe_error
from airlab.tasks.importers.common import read_yaml

MLGYM_DEFAULT_TIMEOUT_S = 3600
"""MLGym's `AGENT_LONG_ACTION_TIMEOUT`, its training timeout when a config sets none."""


class Entrypoint(StrEnum):
    """MLGym's task classes (`task_entrypoint`): what the agent hands in."""

    CSV = "CSVSubmissionTasks"
    MODEL = "ModelSubmissionTasks"
    LANGUAGE_MODEL = "LMSubmissionTasks"
    PYTHON = "PythonSubmissionTasks"


class _MLGymModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitConfig(_MLGymModel):
    name: str
    file_regex: str


class DatasetConfig(_MLGymModel):
    """`configs/datasets/NAME.yaml`."""

    name: str
    description: str = ""
    data_path: str
    """A folder under the repository root, or a Hugging Face repo id when not `is_local`."""
    is_local: bool = False
    train_split: SplitConfig | None = None
    valid_split: SplitConfig | None = None
    test_split: SplitConfig | None = None


class TaskConfig(_MLGymModel):
    """`configs/tasks/NAME.yaml`."""

    id: str
    name: str
    description: str
    dataset_configs: list[str] = Field(default_factory=list)
    task_entrypoint: str = Entrypoint.CSV.value
    training_timeout: PositiveInt | None = None
    requirements_path: str | None = None
    benchmark_name: str | None = None
    use_generic_conda: bool = True
    starter_code: list[str] = Field(default_factory=list)
    baseline_paths: list[str] = Field(default_factory=list)
    baseline_scores: list[dict[str, float]] = Field(default_factory=list)
    sample_submission: str | None = None
    evaluation_paths: list[str] = Field(default_factory=list)
    evaluation_read_only: bool = False
    secret_files: list[str] = Field(default_factory=list)
    memory_path: str | None = None

    @property
    def timeout_s(self) -> int:
        return self.training_timeout or MLGYM_DEFAULT_TIMEOUT_S

    def reported(self) -> list[tuple[str, float]]:
        """`baseline_scores` as (metric key, value) pairs, first dataset first."""
        return [(key, value) for entry in self.baseline_scores for key, value in entry.items()]


M = TypeVar("M", bound=BaseModel)


def _load(model: type[M], path: Path) -> M:
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise TaskError(describe_error(str(path), exc, model)) from None


def load_task_config(path: Path) -> TaskConfig:
    return _load(TaskConfig, path)


def load_dataset_config(path: Path) -> DatasetConfig:
    return _load(DatasetConfig, path)


def refuse_non_csv(config: TaskConfig, path: Path) -> None:
    """A one-line TaskError saying what a non-CSV task hands in, from its entrypoint."""
    try:
        kind = Entrypoint(config.task_entrypoint)
    except ValueError:
        known = ", ".join(e.value for e in Entrypoint)
        raise TaskError(
            f"{path}: field 'task_entrypoint': {config.task_entrypoint!r} is not an MLGym task "
            f"class ({known})"
        ) from None
    if kind == Entrypoint.CSV:
        return
    code = [Path(p).name for p in config.starter_code if p.endswith(".py")]
    code = [name for name in code if name != "evaluate.py"]
    what = {
        Entrypoint.MODEL: "a model checkpoint (`checkpoints/` and the `config.yaml` it was "
        "trained with; evaluate.py runs it with --config_fname)",
        Entrypoint.LANGUAGE_MODEL: "a trained language model (saved weights that evaluate.py "
        "loads under torchrun)",
        Entrypoint.PYTHON: "Python code (evaluate.py imports the agent's edits of its starter "
        "code" + (": " + ", ".join(f"`{name}`" for name in code) if code else "") + ")",
    }[kind]
    raise TaskError(
        f"{path}: MLGym task {config.id} submits {what} (task_entrypoint: {kind.value}); "
        "airlab grades CSV submissions only"
    )
