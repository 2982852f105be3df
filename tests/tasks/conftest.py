"""Small folders in the on-disk layouts of MLE-bench, MLGym and AIRS-Bench, for the importers.

Each fixture is a function `write(root) -> path` that builds one such folder under `root`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    frame = pd.DataFrame(x.round(4), columns=["f1", "f2", "f3"])
    frame["label"] = np.where(x[:, 0] - x[:, 1] > 0, "yes", "no")
    return frame


MLEBENCH_GRADE = """
import pandas as pd


class InvalidSubmissionError(Exception):
    pass


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    if set(submission["PassengerKey"]) != set(answers["PassengerKey"]):
        raise InvalidSubmissionError("submission and answers ids differ")
    merged = answers.merge(submission, on="PassengerKey", suffixes=("_true", "_pred"))
    return float((merged["label_true"] == merged["label_pred"]).mean())
"""


def write_mlebench(root: Path) -> Path:
    """A prepared competition: config, description, grade.py, leaderboard, prepared data."""
    data = _frame(150, 1)
    data.insert(0, "PassengerKey", [f"p{i:03d}" for i in range(len(data))])
    train, test = data.iloc[:90], data.iloc[90:]
    public, private = root / "prepared" / "public", root / "prepared" / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns="label").to_csv(public / "test.csv", index=False)
    test[["PassengerKey"]].assign(label="no").to_csv(public / "sample_submission.csv", index=False)
    test[["PassengerKey", "label"]].to_csv(private / "test.csv", index=False)
    (root / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "tiny-survival",
                "name": "Tiny Survival",
                "competition_type": "simple",
                "awards_medals": True,
                "description": "mlebench/competitions/tiny-survival/description.md",
                "dataset": {
                    "answers": "tiny-survival/prepared/private/test.csv",
                    "sample_submission": "tiny-survival/prepared/public/sample_submission.csv",
                },
                "grader": {"name": "accuracy", "grade_fn": "tiny-survival.grade:grade"},
            }
        )
    )
    (root / "description.md").write_text("# Tiny Survival\n\nPredict `label` (yes/no).\n")
    (root / "grade.py").write_text(MLEBENCH_GRADE)
    pd.DataFrame({"teamId": range(6), "score": [0.95, 0.9, 0.85, 0.8, 0.7, 0.5]}).to_csv(
        root / "leaderboard.csv", index=False
    )
    return root


def write_mlgym(repo: Path) -> Path:
    """An MLGym repository slice: configs/tasks/NAME.yaml and data/NAME/ with starter code."""
    data = _frame(150, 2)
    data.insert(0, "RowId", range(1, len(data) + 1))
    train, test = data.iloc[:90], data.iloc[90:]
    folder = repo / "data" / "tinyClass"
    folder.mkdir(parents=True)
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="label").to_csv(folder / "test.csv", index=False)
    test[["RowId"]].assign(label="no").to_csv(folder / "sample_submission.csv", index=False)
    test[["RowId", "label"]].to_csv(folder / "answers.csv", index=False)
    (folder / "evaluate.py").write_text("import json\nprint(json.dumps({'Accuracy': 0.0}))\n")
    config = {
        "id": "tinyClassification",
        "name": "Tiny Classification",
        "description": "Predict label from f1, f2, f3.",
        "task_entrypoint": "CSVSubmissionTasks",
        "training_timeout": 120,
        "starter_code": [
            "data/tinyClass/train.csv",
            "data/tinyClass/test.csv",
            "data/tinyClass/evaluate.py",
            "data/tinyClass/sample_submission.csv",
        ],
        "dataset_configs": ["datasets/tinyClass.yaml"],
        "baseline_scores": [{"Accuracy": 0.8}],
        "evaluation_paths": ["evaluate.py"],
        "sample_submission": "data/tinyClass/sample_submission.csv",
        "evaluation_read_only": True,
    }
    (repo / "configs" / "tasks").mkdir(parents=True)
    path = repo / "configs" / "tasks" / "tinyClass.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


AIRS_EVALUATE = '''
import numpy as np


def evaluate(predictions, labels):
    """Returns a dict of metric_name -> value."""
    return {"MeanAbsoluteError": float(np.mean(np.abs(np.asarray(predictions, float) - labels)))}
'''


def write_airs(root: Path) -> Path:
    """An AIRS-Bench task folder with its data exported to CSV under data/."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 2))
    frame = pd.DataFrame(x.round(4), columns=["u", "v"])
    frame["strength"] = (2 * x[:, 0] - x[:, 1] + rng.normal(scale=0.1, size=150)).round(4)
    (root / "data").mkdir(parents=True)
    frame.iloc[:90].to_csv(root / "data" / "train.csv", index=False)
    frame.iloc[90:].drop(columns="strength").to_csv(root / "data" / "test.csv", index=False)
    frame.iloc[90:].to_csv(root / "data" / "test_with_labels.csv", index=False)
    metadata = {
        "metric_lower_is_better": True,
        "file_export_globs": ["submission.csv"],
        "logging_info": {
            "name": "TinyStrengthMeanAbsoluteError",
            "dataset": "tiny/strength",
            "research_problem": "Strength regression",
            "input_columns": ["u", "v"],
            "scoring_column": "strength",
            "metric": "MeanAbsoluteError",
            "sota": [{"sota_paper_title": "A tiny paper", "sota_score": 0.08}],
            "estimated_worst_score": 3.0,
            "optimal_score": 0.0,
        },
    }
    (root / "metadata.yaml").write_text(yaml.safe_dump(metadata, sort_keys=False))
    (root / "project_description.md").write_text("# Strength\n\nPredict `strength`.\n")
    (root / "evaluate.py").write_text(AIRS_EVALUATE)
    return root


@pytest.fixture
def mlebench_writer():
    return write_mlebench


@pytest.fixture
def mlgym_writer():
    return write_mlgym


@pytest.fixture
def airs_writer():
    return write_airs
