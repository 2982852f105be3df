"""A three-target regression task and planted candidates: each expert best on one target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from airlab.grading.grader import Grader
from airlab.tasks.bundled import resolve_task
from airlab.tasks.prepare import write_task_data

TARGETS = ["y1", "y2", "y3"]
# noise of each candidate on each target: e1 is the expert of y1 and fair elsewhere, e2 and e3
# experts of y2 and y3 only; `gen` is mediocre everywhere and biased
NOISE = {"e1": (0.1, 0.5, 0.5), "e2": (1.0, 0.1, 1.0), "e3": (1.0, 1.0, 0.1), "gen": (0.3,) * 3}
BIAS = {"gen": 1.0}


@pytest.fixture(scope="module")
def task_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("multi")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1200, 4)), columns=["a", *TARGETS])
    write_task_data(root, frame, target_columns=TARGETS, seed=1, train_fraction=0.4)
    write_rmse_spec(root, "multi", "Three targets", TARGETS)
    return root


def write_rmse_spec(root, name: str, title: str, targets: list[str], **extra) -> None:
    """task.yaml (an rmse regression, small limits, `extra` fields added) and description.md."""
    spec = {
        "name": name,
        "title": title,
        "type": "regression",
        "id_column": "id",
        "target_columns": targets,
        "metric": "rmse",
        "direction": "minimize",
        **extra,
        "limits": {"time_s": 60, "memory_mb": 1024, "cpus": 1},
    }
    (root / "task.yaml").write_text(yaml.safe_dump(spec))
    (root / "description.md").write_text(f"# {title}\n")


@pytest.fixture(scope="module")
def grader(task_root):
    return Grader(resolve_task(task_root))


def planted(grader):
    answers = grader.task.read_answers().set_index("id")[TARGETS].astype(float)
    answers.index = answers.index.astype(str)
    rng = np.random.default_rng(1)
    out = {}
    for key, noise in NOISE.items():
        values = answers.to_numpy() + rng.normal(size=answers.shape) * np.array(noise)
        out[key] = pd.DataFrame(values + BIAS.get(key, 0.0), index=answers.index, columns=TARGETS)
    return out


@pytest.fixture(scope="module")
def candidates(grader):
    return planted(grader)
