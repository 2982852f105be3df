"""Import an MLGym CSV-submission task from its task config.

Layout read (as in the MLGym repository): `configs/tasks/NAME.yaml` with `id`, `name`,
`description`, `starter_code` (paths from the repository root: train/test CSVs, `evaluate.py`,
a baseline), `sample_submission`, `baseline_scores` (e.g. `[{Accuracy: 0.76}]`) and
`training_timeout`. MLGym leaves the labels in the agent's workspace; here they become the hidden
answers (`--answers`, or a labels file beside the data) and `evaluate.py` stays out of reach.
The metric is the registered one named by `baseline_scores` (or `--metric`).
"""

from __future__ import annotations

from pathlib import Path

from airlab.errors import TaskError
from airlab.grading.metrics import METRICS
from airlab.tasks.importers.common import (
    DEFAULT_SEED,
    read_yaml,
    require,
    submission_columns,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.task import TEST_FILE, Task, read_csv

ANSWER_FILE_NAMES = ("answers.csv", "ground_truth.csv", "test_labels.csv", "solution.csv")
METRIC_NAMES = {
    "accuracy": "accuracy",
    "balanced accuracy": "balanced_accuracy",
    "f1": "f1_macro",
    "f1 score": "f1_macro",
    "r2": "r2",
    "r2 score": "r2",
    "rmse": "rmse",
    "root mean squared error": "rmse",
    "mae": "mae",
    "mean absolute error": "mae",
    "auc": "roc_auc",
    "roc auc": "roc_auc",
    "log loss": "log_loss",
}
NOT_PUBLIC = ("evaluate.py", *ANSWER_FILE_NAMES)


def _metric(config: dict, path: Path, override: str | None) -> str:
    if override is not None:
        METRICS.get(override)
        return override
    scores = config.get("baseline_scores") or []
    names = [name for entry in scores if isinstance(entry, dict) for name in entry]
    if not names:
        raise TaskError(f"{path}: no 'baseline_scores' to name the metric; pass --metric")
    key = names[0].strip().lower().replace("_", " ")
    if key not in METRIC_NAMES:
        raise TaskError(f"{path}: metric {names[0]!r} has no airlab equivalent; pass --metric")
    return METRIC_NAMES[key]


def import_mlgym(
    config_path: Path,
    dest: Path,
    *,
    root: Path | None = None,
    answers_path: Path | None = None,
    metric: str | None = None,
    seed: int = DEFAULT_SEED,
) -> Task:
    config_path = Path(config_path)
    config = read_yaml(config_path)
    task_id = str(require(config, "id", config_path))
    # configs/tasks/NAME.yaml → the repository root holds data/ and configs/.
    root = Path(root) if root else config_path.resolve().parent.parent.parent
    starter = [root / path for path in config.get("starter_code") or []]
    missing = [str(path) for path in starter if not path.exists()]
    if missing:
        raise TaskError(f"{config_path}: starter_code file {missing[0]} not found")
    sample = root / str(require(config, "sample_submission", config_path))
    id_column, targets = submission_columns(sample)
    data_dir = sample.parent
    if answers_path is None:
        found = [data_dir / name for name in ANSWER_FILE_NAMES if (data_dir / name).is_file()]
        if not found:
            raise TaskError(
                f"{data_dir}: no answers file ({', '.join(ANSWER_FILE_NAMES)}); pass --answers"
            )
        answers_path = found[0]
    answers = read_csv(answers_path, dtype={id_column: str})
    for column in (id_column, *targets):
        if column not in answers.columns:
            raise TaskError(f"{answers_path}: missing column {column!r}")
    public_files = {path.name: path for path in [*starter, sample] if path.name not in NOT_PUBLIC}
    if TEST_FILE not in public_files:
        raise TaskError(f"{config_path}: starter_code has no {TEST_FILE}")
    metric_name = _metric(config, config_path, metric)
    spec = {
        "name": task_name(task_id),
        "title": str(config.get("name", task_id)),
        "type": "other",
        "metric": metric_name,
        "direction": METRICS.get(metric_name).direction,
        "id_column": id_column,
        "target_columns": targets,
        "limits": {"time_s": float(config.get("training_timeout", 1800)), "memory_mb": 4096},
        "source": f"MLGym task {task_id}",
    }
    if METRICS.get(metric_name).kind == "label":
        labels = sorted({str(v) for v in answers[targets[0]]}) if len(targets) == 1 else None
        if labels:
            spec["labels"] = labels
    reported = config.get("baseline_scores")
    description = str(config.get("description", "")).rstrip()
    if reported:
        description += f"\n\nMLGym's recorded baseline scores (whole test set): {reported}."
    extra = {}
    baseline = next((p for p in starter if p.name == "baseline.py"), None)
    if baseline is not None:
        extra["baseline.py"] = baseline
    return write_task(
        dest,
        spec=spec,
        description=description + submission_note(id_column, targets),
        public_files=public_files,
        answers=answers[[id_column, *targets]],
        seed=seed,
        extra_files=extra,
    )
