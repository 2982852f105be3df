"""Import an AIRS-Bench task folder, in the repository's real layout.

Layout read (facebookresearch/airs-bench; commit in docs/importers.md):
```
airsbench/tasks/rad/NAME/
  metadata.yaml            metric_lower_is_better, evaluate_container_python_requirements,
                           logging_info.{name, metric, input_columns, scoring_column (a name
                           or a list), sota[].sota_score, optimal_score, estimated_worst_score}
  project_description.md   what the agent reads
  evaluate.py              evaluate(predictions, labels) -> {metric: value}; imports `datasets`
                           (and some `torch`, or sibling modules such as utils.py)
  prepare.py, evaluate_prepare.py, utils.py, custom_labels.py, ...
DATA/                      what prepare.py and evaluate_prepare.py write (the agent data mount):
  train, test, test_with_labels   Hugging Face datasets (`save_to_disk`), or their CSV exports
                                  train.csv, test.csv, test_with_labels.csv
```
AIRS matches submissions by row order; airlab gives every row an id. `evaluate.py` grades, with
its sibling modules, in a subprocess (`airs_grade.py`); the SOTA, optimal and estimated worst
scores are kept for AIRS's normalised score.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

from airlab.errors import TaskError
from airlab.tasks.importers.common import (
    Imported,
    SplitChoice,
    decode_lists,
    plain_lists,
    read_yaml,
    require,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.spec import SplitSource
from airlab.tasks.task import Task, read_csv

ID_COLUMN = "id"
LABELLED_TEST = "test_with_labels"
GRADE_ADAPTER = Path(__file__).with_name("airs_grade.py")
NOT_COPIED = {"prepare.py", "evaluate_prepare.py"}
"""Task scripts that build data; every other `.py` of the task folder goes beside evaluate.py."""


def read_split(data_dir: Path, name: str) -> pd.DataFrame:
    """A split as `prepare.py` left it: a `save_to_disk` folder `NAME/`, or its export `NAME.jsonl`
    or `NAME.csv` (list-valued cells as JSON lists)."""
    jsonl = data_dir / f"{name}.jsonl"
    if jsonl.is_file():
        try:
            return pd.read_json(jsonl, lines=True, dtype=False)
        except ValueError as exc:
            raise TaskError(f"{jsonl}: cannot read JSON lines: {exc}") from None
    csv = data_dir / f"{name}.csv"
    if csv.is_file():
        frame = decode_lists(read_csv(csv))
        _refuse_numpy_reprs(frame, csv, jsonl.name)
        return frame
    folder = data_dir / name
    if folder.is_dir():
        if importlib.util.find_spec("datasets") is None:
            raise TaskError(
                f"{folder}: a Hugging Face dataset folder; pip install datasets to read it, or "
                f"export it once with load_from_disk(...).to_json('{jsonl.name}')"
            )
        from datasets import load_from_disk

        return plain_lists(load_from_disk(str(folder)).to_pandas())
    raise TaskError(
        f"{data_dir}: no {name}/, {name}.jsonl or {name}.csv (run the task's prepare.py first)"
    )


def _numpy_repr(value: object) -> bool:
    """A list cell as numpy prints it (`[6 6 8 1]`, `[array([1, 2])]`): what `Dataset.to_csv`
    writes for list features. It cannot be read back reliably."""
    if not isinstance(value, str) or not (value.startswith("[") and value.endswith("]")):
        return False
    if "array(" in value:
        return True
    tokens = value[1:-1].split()
    return len(tokens) > 1 and all(
        re.fullmatch(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|nan|inf)", t) for t in tokens
    )


def _refuse_numpy_reprs(frame: pd.DataFrame, path: Path, jsonl: str) -> None:
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind != "O":
            continue
        hits = values[values.map(_numpy_repr)]
        if not hits.empty:
            raise TaskError(
                f"{path}: column {column!r} holds numpy reprs of lists ({hits.iloc[0][:40]!r}), "
                f"which cannot be read back; export the split with .to_json('{jsonl}') "
                "or keep its save_to_disk folder"
            )


def _scoring_columns(info: dict, path: Path) -> list[str]:
    value = require(info, "scoring_column", path)
    columns = [str(c) for c in value] if isinstance(value, list) else [str(value)]
    if not columns:
        raise TaskError(f"{path}: field 'logging_info.scoring_column' is empty")
    return columns


def _airlab_note(targets: list[str]) -> str:
    return (
        "## Data and submission in airlab (this note overrides the description below)\n"
        "The data is in `public/` as CSV: `pd.read_csv('public/train.csv')` and "
        "`pd.read_csv('public/test.csv')` stand for `load_from_disk('./data/train')` and "
        "`load_from_disk('./data/test')`. Every row has an `id`; `submission.csv` needs the `id` "
        f"column besides {', '.join(f'`{t}`' for t in targets)}, one row per row of "
        "`public/test.csv` (any order).\n\n"
    )


def import_airs(
    src: Path, dest: Path, *, data_dir: Path | None = None, splits: SplitChoice | None = None
) -> Task:
    src = Path(src)
    metadata_path = src / "metadata.yaml"
    metadata = read_yaml(metadata_path)
    info = require(metadata, "logging_info", metadata_path)
    name = str(require(info, "name", metadata_path))
    metric = str(require(info, "metric", metadata_path))
    targets = _scoring_columns(info, metadata_path)
    lower_is_better = bool(require(metadata, "metric_lower_is_better", metadata_path))
    for needed in ("evaluate.py", "project_description.md"):
        if not (src / needed).is_file():
            raise TaskError(f"{src / needed}: file not found")
    data = Path(data_dir) if data_dir else src / "data"
    train = read_split(data, "train")
    test = read_split(data, "test")
    labelled = read_split(data, LABELLED_TEST)
    for column in targets:
        if column not in labelled.columns:
            raise TaskError(f"{data / LABELLED_TEST}: missing scoring column {column!r}")
    if len(labelled) != len(test):
        raise TaskError(f"{data}: test has {len(test)} rows but {LABELLED_TEST} {len(labelled)}")
    inputs = [c for c in test.columns if c not in targets and c != ID_COLUMN]

    # Row order is AIRS's key; ids drawn from one permutation keep moved training rows
    # indistinguishable from test rows.
    order = np.random.default_rng(0).permutation(len(test) + len(train))
    ids = [f"r{i:06d}" for i in order]
    test = test.drop(columns=[ID_COLUMN], errors="ignore")
    test.insert(0, ID_COLUMN, ids[: len(test)])
    train = train.drop(columns=[ID_COLUMN], errors="ignore")
    train.insert(0, ID_COLUMN, ids[len(test) :])
    answers = pd.DataFrame({ID_COLUMN: test[ID_COLUMN]})
    for column in targets:
        answers[column] = labelled[column].to_numpy()
    choice = splits or SplitChoice()
    if choice.source == SplitSource.TRAIN and any(c not in train.columns for c in targets):
        # Forecasting tasks: the training rows hold histories, not the scored future values.
        choice = SplitChoice(SplitSource.HELD_OUT, choice.seed, choice.train_fraction)

    sota = (info.get("sota") or [{}])[0] or {}
    spec: dict = {
        "name": task_name(name),
        "title": f"{info.get('research_problem', name)} ({info.get('dataset', 'AIRS-Bench')})",
        "type": "other",
        "metric": f"airs:{metric}",
        "direction": "minimize" if lower_is_better else "maximize",
        "id_column": ID_COLUMN,
        "target_columns": targets,
        "grader": "grade.py",
        "metric_params": {"key": metric},
        "source": f"AIRS-Bench task {name}",
    }
    if sota.get("sota_score") is not None:
        note = f"SOTA: {sota.get('sota_paper_title', 'published result')}"
        spec["reference"] = {"score": float(sota["sota_score"]), "note": note}
    if info.get("optimal_score") is not None:
        spec["optimal_score"] = float(info["optimal_score"])
    if info.get("estimated_worst_score") is not None:
        spec["worst_score"] = float(info["estimated_worst_score"])
    extra: dict[str, Path | str] = {"grade.py": GRADE_ADAPTER}
    for script in sorted(src.glob("*.py")):
        if script.name not in NOT_COPIED:
            extra[f"airs/{script.name}"] = script
    description = (src / "project_description.md").read_text().rstrip()
    imported = Imported(
        spec=spec,
        description=_airlab_note(targets) + description + submission_note(ID_COLUMN, targets),
        id_column=ID_COLUMN,
        test_inputs=test[[ID_COLUMN, *inputs]],
        answers=answers,
        train=train,
        public_files=_other_public_files(data),
        extra_files=extra,
    )
    return write_task(dest, imported, choice)


def _other_public_files(data: Path) -> dict[str, Path]:
    """Other splits prepare.py wrote (e.g. `validation`), public as they are."""
    skip = {"train", "test", LABELLED_TEST, "submission"}
    return {p.name: p for p in sorted(data.iterdir()) if p.name.split(".")[0] not in skip}
