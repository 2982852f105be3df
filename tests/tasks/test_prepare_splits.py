"""The `hidden_splits` choice of bundled tasks: default unchanged, `source: train` keeps the
held-out rows whole as `test` and cuts search and select out of the training share."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import yaml

from airlab.tasks.bundled import TASKS, _run_prepare
from airlab.tasks.prepare import write_task_data
from airlab.tasks.spec import HiddenSplits, SplitSource


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 2, n)})


def _read(root):
    train = pd.read_csv(root / "public/train.csv")
    answers = pd.read_csv(root / "private/answers.csv")
    return train, answers


def test_default_cuts_three_splits_from_the_held_out_rows(tmp_path):
    write_task_data(tmp_path, _frame(), target_columns=["y"], seed=1, train_fraction=0.5)
    train, answers = _read(tmp_path)
    assert len(train) == 100
    assert answers["split"].value_counts().to_dict() == {"search": 33, "select": 34, "test": 33}


def test_source_train_keeps_the_held_out_rows_whole_as_test(tmp_path):
    choice = HiddenSplits(source=SplitSource.TRAIN, train_fraction=0.2)
    write_task_data(
        tmp_path, _frame(), target_columns=["y"], seed=1, train_fraction=0.5, hidden_splits=choice
    )
    train, answers = _read(tmp_path)
    assert answers["split"].value_counts().to_dict() == {"test": 100, "search": 10, "select": 10}
    assert len(train) == 80
    test_csv = pd.read_csv(tmp_path / "public/test.csv")
    assert sorted(test_csv["id"]) == sorted(answers["id"])
    # the rows are the same 200 labelled rows, each exactly once
    assert len(train) + len(answers) == 200


def test_bundled_task_yaml_field_reaches_its_prepare(tmp_path):
    source = tmp_path / "digits"
    shutil.copytree(TASKS.get("digits"), source)
    spec = yaml.safe_load((source / "task.yaml").read_text())
    spec["hidden_splits"] = {"source": "train", "train_fraction": 0.1}
    (source / "task.yaml").write_text(yaml.safe_dump(spec))
    _run_prepare(source / "prepare.py", tmp_path / "out")
    _, answers = _read(tmp_path / "out")
    counts = answers["split"].value_counts()
    assert counts["test"] > 8 * counts["search"]
