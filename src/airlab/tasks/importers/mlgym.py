"""Import an MLGym CSV-submission task from its task config, in the repository's real layout.

The config is read by the pydantic models of `mlgym_config.py` (MLGym's own fields and types);
tasks that hand in a model, a language model or Python code (`task_entrypoint`) are refused in
one line saying so.

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
`baseline_scores` (or `--metric`); a name with no registered equivalent is refused at import
with a did-you-mean, and `--metric evaluate` grades with the task's own `evaluate.py` in a
subprocess (see `mlgym_grade.py`), whose printed key is checked at import on the sample
submission. The benchmark's baseline score becomes the task's baseline, as reported
(`of: reported`).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from airlab.errors import TaskError
from airlab.grading.metrics import METRICS
from airlab.tasks.importers.common import (
    Imported,
    SplitChoice,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.importers.mlgym_config import (
    DatasetConfig,
    TaskConfig,
    load_dataset_config,
    load_task_config,
    refuse_non_csv,
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
LOWER_IS_BETTER = {"rmse", "mae", "mse", "loss", "log loss"}
GRADE_ADAPTER = Path(__file__).with_name("mlgym_grade.py")


def _normal(key: str) -> str:
    return key.strip().lower().replace("_", " ")


def _metric(config: TaskConfig, path: Path, metric: str | None) -> tuple[str, str, float | None]:
    """(airlab metric or `evaluate`, the `baseline_scores` key, its reported value): checked
    now, so that a name nothing can grade fails at import rather than at the first grading."""
    reported = config.reported()
    if metric not in (None, EVALUATE) and metric not in METRICS:
        raise TaskError(f"option --metric: {METRICS.unknown_message(str(metric))}")
    if not reported:
        if metric not in (None, EVALUATE):
            return str(metric), "", None
        raise TaskError(
            f"{path}: no 'baseline_scores' to name the metric (and evaluate.py's key); pass "
            "--metric NAME"
        )
    key, value = reported[0]
    if metric is not None:
        return metric, key, value
    registered = METRIC_NAMES.get(_normal(key))
    if registered is None:
        names = sorted({*METRIC_NAMES, *METRICS.names()})
        close = difflib.get_close_matches(_normal(key), names, n=1, cutoff=0.7)
        hint = f" (did you mean {METRIC_NAMES.get(close[0], close[0])!r}?)" if close else ""
        raise TaskError(
            f"{path}: field 'baseline_scores': {key!r} names no registered metric{hint}; pass "
            "--metric NAME, or --metric evaluate to grade with the task's own evaluate.py"
        )
    return registered, key, value


def _datasets(config: TaskConfig, config_path: Path, root: Path) -> list[DatasetConfig]:
    datasets = [load_dataset_config(root / "configs" / p) for p in config.dataset_configs]
    if not datasets:
        raise TaskError(f"{config_path}: no 'dataset_configs' (MLGym names the task's data there)")
    return datasets


def _description(config: TaskConfig, datasets: list[DatasetConfig]) -> str:
    """MLGym's own rendering: `{dataset_docs}` becomes `NAME:\\ndescription` per dataset."""
    docs = "".join(f"{d.name.upper()}:\n{d.description.strip()}\n\n" for d in datasets)
    return config.description.replace("{dataset_docs}", docs).rstrip()


def _data_dir(config: TaskConfig, config_path: Path, root: Path, first: DatasetConfig) -> Path:
    if not first.is_local:
        raise TaskError(
            f"{config_path}: its dataset {first.name!r} is on the Hugging Face hub "
            "(is_local: false), not a CSV task folder"
        )
    data_dir = root / first.data_path
    if not data_dir.is_dir():
        raise TaskError(f"{data_dir}: data_path folder not found")
    missing = [name for name in (TRAIN_FILE, TEST_FILE) if not (data_dir / name).is_file()]
    if missing:
        held = ", ".join(sorted(p.name for p in data_dir.iterdir())[:5]) or "nothing"
        raise TaskError(
            f"{data_dir}: MLGym task {config.id} has no {' or '.join(missing)} (the folder holds "
            f"{held}); airlab imports tasks whose data are CSV tables"
        )
    return data_dir


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
    config = load_task_config(config_path)
    refuse_non_csv(config, config_path)
    # configs/tasks/NAME.yaml → the repository root holds data/ and configs/.
    root = Path(root) if root else config_path.resolve().parent.parent.parent
    datasets = _datasets(config, config_path, root)
    data_dir = _data_dir(config, config_path, root, datasets[0])
    metric_name, reported_name, reported_value = _metric(config, config_path, metric)
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

    own_evaluate = metric_name == EVALUATE
    spec: dict = {
        "name": task_name(config.id),
        "title": config.name,
        "type": "other",
        "id_column": id_column,
        "target_columns": targets,
        "limits": {"time_s": float(config.timeout_s), "memory_mb": 4096},
        "source": f"MLGym task {config.id}",
    }
    extra: dict[str, Path | str] = {}
    if own_evaluate:
        evaluate = _evaluate_script(config, config_path, root)
        spec |= {
            "metric": f"mlgym:{reported_name}",
            "direction": "minimize" if _normal(reported_name) in LOWER_IS_BETTER else "maximize",
            "grader": "grade.py",
            "metric_params": {"key": reported_name, "answers": answers_path.name},
        }
        extra = {"grade.py": GRADE_ADAPTER, "evaluate.py": evaluate}
    else:
        registered = METRICS.get(metric_name)
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


def _evaluate_script(config: TaskConfig, config_path: Path, root: Path) -> Path:
    for relative in config.starter_code:
        if Path(str(relative)).name == "evaluate.py":
            path = root / str(relative)
            if path.is_file():
                return path
    raise TaskError(f"{config_path}: starter_code lists no evaluate.py to grade with")


def _sample(
    config: TaskConfig, root: Path, answers: pd.DataFrame, id_column: str
) -> pd.DataFrame | None:
    """The config's sample submission, unless it is not one: MLGym's titanic sample is the
    ground truth itself (same file), and Kaggle-copied samples name other ids. None: airlab
    builds a constant one from the training labels."""
    relative = config.sample_submission
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
