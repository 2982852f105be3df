"""A small, valid task folder built on the fly: for the conformance suites and any fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from airlab.tasks.prepare import write_task_data


def write_tiny_task(
    root: Path, name: str = "tiny", rows: int = 120, kind: str = "classification", **fields: Any
) -> Path:
    """Write a task folder at `root`; keyword arguments override task.yaml fields."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    if kind == "classification":
        frame["y"] = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
        spec = {"metric": "accuracy", "direction": "maximize", "labels": ["0", "1"]}
    else:
        frame["y"] = 3 * x[:, 0] - x[:, 2] + rng.normal(scale=0.1, size=rows)
        spec = {"metric": "rmse", "direction": "minimize"}
    write_task_data(root, frame, target_columns=["y"], seed=1, train_fraction=0.5)
    task_yaml = {
        "name": name,
        "title": "A tiny task",
        "type": kind,
        "id_column": "id",
        "target_columns": ["y"],
        "limits": {"time_s": 60, "memory_mb": 1024, "cpus": 1},
        **spec,
        **fields,
    }
    (root / "task.yaml").write_text(yaml.safe_dump(task_yaml, sort_keys=False))
    (root / "description.md").write_text("# Tiny\nPredict y from a, b, c.\n")
    return root


TINY_SOLUTION = """import pandas as pd
from sklearn.linear_model import LogisticRegression
train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
model = LogisticRegression(C={c}).fit(train[["a", "b"]], train["y"])
pd.DataFrame({{"id": test["id"], "y": model.predict(test[["a", "b"]])}}).to_csv(
    "submission.csv", index=False
)
print("self_reported_score: 0.9")
"""


def tiny_answer(c: float, attempt: int | None = None) -> str:
    """A model's answer for the tiny classification task: a plan and a working script with
    regularisation `c`; with `attempt`, a comment that makes each answer's code distinct."""
    mark = "" if attempt is None else f" (attempt {attempt})"
    code = TINY_SOLUTION.format(c=c)
    if attempt is not None:
        code = f"# attempt {attempt}\n{code}"
    return f"Plan: logistic regression on a and b{mark}.\n\n```python\n{code}```\n"
