"""Import an AIRS-Bench task.

Layout read: the task folder of the AIRS-Bench repository (`metadata.yaml`,
`project_description.md`, `evaluate.py` with `evaluate(predictions, labels) -> dict`) plus its
data exported to CSV in `data/`: `train.csv`, `test.csv` (inputs) and `test_with_labels.csv`
(AIRS keeps Hugging Face datasets; export them with `Dataset.to_csv`). The metadata's SOTA,
optimal and estimated worst scores are kept for normalised scores; `evaluate.py` grades, through
a small `grade.py` adapter, outside the candidates' reach.
"""

from __future__ import annotations

from pathlib import Path

from airlab.errors import TaskError
from airlab.tasks.importers.common import (
    DEFAULT_SEED,
    read_yaml,
    require,
    submission_note,
    task_name,
    write_task,
)
from airlab.tasks.task import TRAIN_FILE, Task, read_csv

LABELLED_TEST_FILE = "test_with_labels.csv"
ID_COLUMN = "id"

GRADE_ADAPTER = '''"""Grades with the AIRS-Bench task's own evaluate.py."""

import importlib.util
from pathlib import Path

ID = {id_column!r}
TARGET = {target!r}
METRIC = {metric!r}

_path = Path(__file__).with_name("evaluate.py")
_spec = importlib.util.spec_from_file_location("airs_evaluate", _path)
_evaluate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_evaluate)


def grade(submission, answers):
    predictions = answers[[ID]].merge(submission, on=ID, how="left")[TARGET]
    return float(_evaluate.evaluate(predictions.to_numpy(), answers[TARGET].to_numpy())[METRIC])
'''


def import_airs(src: Path, dest: Path, *, seed: int = DEFAULT_SEED) -> Task:
    src = Path(src)
    metadata_path = src / "metadata.yaml"
    metadata = read_yaml(metadata_path)
    info = require(metadata, "logging_info", metadata_path)
    name = str(require(info, "name", metadata_path))
    metric = str(require(info, "metric", metadata_path))
    target = str(require(info, "scoring_column", metadata_path))
    lower_is_better = bool(require(metadata, "metric_lower_is_better", metadata_path))
    for needed in ("evaluate.py", "project_description.md"):
        if not (src / needed).is_file():
            raise TaskError(f"{src / needed}: file not found")
    data = src / "data"
    train = read_csv(data / TRAIN_FILE)
    labelled = read_csv(data / LABELLED_TEST_FILE)
    if target not in labelled.columns:
        raise TaskError(f"{data / LABELLED_TEST_FILE}: missing scoring column {target!r}")
    if target not in train.columns:
        raise TaskError(f"{data / TRAIN_FILE}: missing scoring column {target!r}")
    if ID_COLUMN not in labelled.columns:
        # AIRS submissions are matched by row order; airlab needs ids, so rows get their number.
        labelled.insert(0, ID_COLUMN, [str(i) for i in range(len(labelled))])
    inputs = info.get("input_columns") or [c for c in labelled.columns if c != target]
    test_inputs = labelled[[ID_COLUMN, *[c for c in inputs if c != ID_COLUMN]]]

    sota = (info.get("sota") or [{}])[0]
    spec = {
        "name": task_name(name),
        "title": f"{info.get('research_problem', name)} ({info.get('dataset', 'AIRS-Bench')})",
        "type": "other",
        "metric": metric,
        "direction": "minimize" if lower_is_better else "maximize",
        "id_column": ID_COLUMN,
        "target_columns": [target],
        "grader": "grade.py",
        "source": f"AIRS-Bench task {name}",
    }
    if sota.get("sota_score") is not None:
        note = f"SOTA: {sota.get('sota_paper_title', 'published result')}"
        spec["reference"] = {"score": float(sota["sota_score"]), "note": note}
    if info.get("optimal_score") is not None:
        spec["optimal_score"] = float(info["optimal_score"])
    if info.get("estimated_worst_score") is not None:
        spec["worst_score"] = float(info["estimated_worst_score"])
    adapter = GRADE_ADAPTER.format(id_column=ID_COLUMN, target=target, metric=metric)
    description = (src / "project_description.md").read_text().rstrip()
    return write_task(
        dest,
        spec=spec,
        description=description + submission_note(ID_COLUMN, [target]),
        public_files={TRAIN_FILE: data / TRAIN_FILE},
        answers=labelled[[ID_COLUMN, target]],
        seed=seed,
        extra_files={"grade.py": adapter, "evaluate.py": src / "evaluate.py"},
        test_inputs=test_inputs,
    )
