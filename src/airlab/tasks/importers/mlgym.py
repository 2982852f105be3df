"""Import an MLGym CSV-submission task from its task config, in the repository's real layout.

Layout read (facebookresearch/MLGym; commit in docs/importers.md):
```
ROOT/configs/tasks/NAME.yaml     id, name, description (may hold `{dataset_docs}`),
                                 dataset_configs (paths from configs/), starter_code (paths from
                                 ROOT: evaluate.py, baseline.py), baseline_scores
                                 (`[{Accuracy: 0.76555}]`, `[{rmse: ..., r2: ...}]`),
                                 training_timeout, sample_submission (some tasks)
ROOT/configs/datasets/D.yaml     name, description, data_path (from ROOT), is_local
ROOT/<data_path>/                train.csv, validation.csv, test.csv and the test labels
                                 (answer.csv or ground_truth.csv)
```
MLGym leaves the labels in the agent's workspace; here they become the hidden answers and
`evaluate.py` stays out of reach. The metric is the registered one named by the first key of
`baseline_scores` (or `--metric`); with `--metric evaluate`, or when the name has no registered
equivalent, the task's own `evaluate.py` grades in a subprocess (see `mlgym_grade.py`). The
benchmark's baseline score becomes the task's baseline, as reported (`of: reported`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.grading.metrics import METRICS
from airlab.tasks.importers.common import (
    Imported,
    SplitChoice,
    read_yaml,
    require,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.task import TEST_FILE, TRAIN_FILE, Task, read_csv

ANSWER_FILE_NAMES = ("answer.csv", "ground_truth.csv", "answers.csv", "test_labels.csv")
EVALUATE = "evaluate"
"""`--metric evaluate`: grade with the task's own evaluate.py."""
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
GRADE_ADAPTER = Path(__file__).with_name("mlgym_grade.py")


def _reported(config: dict, path: Path) -> tuple[str, float | None]:
    """The first metric named by `baseline_scores` and its reported value."""
    scores = config.get("baseline_scores") or []
    entries = [(str(k), v) for entry in scores if isinstance(entry, dict) for k, v in entry.items()]
    if not entries:
        raise TaskError(f"{path}: no 'baseline_scores' to name the metric; pass --metric")
    name, value = entries[0]
    return name, float(value) if isinstance(value, int | float) else None


def _dataset_configs(config: dict, config_path: Path, root: Path) -> list[dict]:
    configs = []
    for relative in config.get("dataset_configs") or []:
        configs.append(read_yaml(root / "configs" / str(relative)))
    if not configs:
        raise TaskError(f"{config_path}: no 'dataset_configs' (MLGym names the task's data there)")
    return configs


def _description(config: dict, datasets: list[dict]) -> str:
    """MLGym's own rendering: `{dataset_docs}` becomes `NAME:\\ndescription` per dataset."""
    docs = "".join(
        f"{str(d.get('name', '')).upper()}:\n{str(d.get('description', '')).strip()}\n\n"
        for d in datasets
    )
    return str(config.get("description", "")).replace("{dataset_docs}", docs).rstrip()


def import_mlgym(
    config_path: Path,
    dest: Path,
    *,
    root: Path | None = None,
    answers_path: Path | None = None,
    metric: str | None = None,
    splits: SplitChoice | None = None,
) -> Task:
    config_path = Path(config_path)
    config = read_yaml(config_path)
    task_id = str(require(config, "id", config_path))
    # configs/tasks/NAME.yaml → the repository root holds data/ and configs/.
    root = Path(root) if root else config_path.resolve().parent.parent.parent
    datasets = _dataset_configs(config, config_path, root)
    first = datasets[0]
    if first.get("is_local") is False:
        raise TaskError(
            f"{config_path}: its dataset {first.get('name')!r} is on the Hugging Face hub "
            "(is_local: false), not a CSV task folder"
        )
    data_dir = root / str(require(first, "data_path", root / "configs" / "datasets"))
    if not data_dir.is_dir():
        raise TaskError(f"{data_dir}: data_path folder not found")
    if answers_path is None:
        found = [data_dir / n for n in ANSWER_FILE_NAMES if (data_dir / n).is_file()]
        if not found:
            raise TaskError(
                f"{data_dir}: no test labels ({', '.join(ANSWER_FILE_NAMES)}); pass --answers"
            )
        answers_path = found[0]
    header = list(read_csv(answers_path, nrows=0).columns)
    if len(header) < 2:
        raise TaskError(f"{answers_path}: needs an id column and at least one label column")
    id_column, targets = header[0], header[1:]
    answers = read_csv(answers_path, dtype={id_column: str})
    test_inputs = read_csv(data_dir / TEST_FILE, dtype={id_column: str})
    train = read_csv(data_dir / TRAIN_FILE, dtype={id_column: str})
    for column in targets:
        if column not in train.columns:
            raise TaskError(f"{data_dir / TRAIN_FILE}: missing label column {column!r}")

    reported_name, reported_value = _reported(config, config_path)
    metric_name = metric or METRIC_NAMES.get(reported_name.strip().lower().replace("_", " "))
    own_evaluate = metric_name in (None, EVALUATE)
    spec: dict = {
        "name": task_name(task_id),
        "title": str(config.get("name", task_id)),
        "type": "other",
        "id_column": id_column,
        "target_columns": targets,
        "limits": {"time_s": float(config.get("training_timeout") or 1800), "memory_mb": 4096},
        "source": f"MLGym task {task_id}",
    }
    extra: dict[str, Path | str] = {}
    if own_evaluate:
        evaluate = _evaluate_script(config, config_path, root)
        lower = reported_name.strip().lower() in {"rmse", "mae", "mse", "loss", "log loss"}
        spec |= {
            "metric": f"mlgym:{reported_name}",
            "direction": "minimize" if lower else "maximize",
            "grader": "grade.py",
            "metric_params": {"key": reported_name, "answers": answers_path.name},
        }
        extra = {"grade.py": GRADE_ADAPTER, "evaluate.py": evaluate}
    else:
        METRICS.get(str(metric_name))
        registered = METRICS.get(str(metric_name))
        spec |= {"metric": metric_name, "direction": registered.direction}
        if registered.kind == "label" and len(targets) == 1:
            spec["labels"] = sorted({str(v) for v in answers[targets[0]]})
    baseline = None
    if reported_value is not None and (metric is None or own_evaluate):
        baseline = {"score": reported_value, "note": f"MLGym's baseline_scores ({reported_name})"}

    sample = _sample(config, root, answers, id_column)
    public = {p.name: p for p in sorted(data_dir.iterdir()) if p.name not in ANSWER_FILE_NAMES}
    public.pop(answers_path.name, None)
    imported = Imported(
        spec=spec,
        description=_description(config, datasets)
        + submission_note(id_column, targets, "sample_submission.csv"),
        id_column=id_column,
        test_inputs=test_inputs,
        answers=answers,
        train=train,
        sample=sample,
        public_files=public,
        extra_files=extra,
        baseline=baseline,
    )
    return write_task(dest, imported, splits or SplitChoice())


def _evaluate_script(config: dict, config_path: Path, root: Path) -> Path:
    for relative in config.get("starter_code") or []:
        if Path(str(relative)).name == "evaluate.py":
            path = root / str(relative)
            if path.is_file():
                return path
    raise TaskError(f"{config_path}: starter_code lists no evaluate.py to grade with")


def _sample(config: dict, root: Path, answers: pd.DataFrame, id_column: str) -> pd.DataFrame | None:
    """The config's sample submission, unless it is not one: MLGym's titanic sample is the
    ground truth itself (same file), and Kaggle-copied samples name other ids. None: airlab
    builds a constant one from the training labels."""
    relative = config.get("sample_submission")
    if not relative:
        return None
    sample = read_csv(root / str(relative), dtype={id_column: str})
    if id_column not in sample.columns or set(sample[id_column]) != set(answers[id_column]):
        return None
    merged = sample.merge(answers, on=id_column, suffixes=("", "__truth"))
    targets = [c for c in answers.columns if c != id_column]
    if all((merged[c].astype(str) == merged[f"{c}__truth"].astype(str)).all() for c in targets):
        return None  # the answers themselves: never shown
    return sample
