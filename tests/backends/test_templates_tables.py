"""Templates on imported tables: only columns both tables have are features, list-valued cells
(JSON lists in the CSVs, lists in a JSON table) are summarised or joined, a one-item list target
is fitted by its item, and the training table may be JSON, JSON lines or parquet."""

import json

import numpy as np
import pandas as pd
import pytest

from airlab.backends.templates.recipe import Member, Recipe
from airlab.backends.templates.render import render
from airlab.backends.templates.shape import shape_of
from airlab.grading import Grader
from airlab.tasks import load_task
from backends.test_templates import _run

RECIPE = Recipe(members=(Member("ridge", {"alpha": 1.0}),))


def _with_lists(root, train_format: str, list_target: bool = False):
    """The tiny regression task plus a numeric list column and a list-of-text column in both
    tables, a training-only column (the target again: using it would be a leak and a crash on
    test), and the training table written as `train_format`."""
    public = root / "public"
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    for frame in (train, test):
        frame["vec"] = [[float(a), float(a) * 2, 1.0] for a in frame["a"]]
        frame["notes"] = [["up" if a > 0 else "down", "x"] for a in frame["a"]]
    train["leak"] = train["y"]
    if list_target:
        train["y"] = [[float(v)] for v in train["y"]]
    for column in ("vec", "notes"):
        test[column] = test[column].map(json.dumps)
    test.to_csv(public / "test.csv", index=False)
    (public / "train.csv").unlink()
    if train_format == "csv":
        for column in ("vec", "notes", *(["y"] if list_target else [])):
            train[column] = train[column].map(json.dumps)
        train.to_csv(public / "train.csv", index=False)
    elif train_format == "json":
        train.to_json(public / "train.json", orient="records")
    elif train_format == "jsonl":
        train.to_json(public / "train.jsonl", orient="records", lines=True)
    else:
        train.to_parquet(public / "train.parquet")
    return load_task(root)


FORMATS = ["csv", "json", "jsonl", "parquet"]


@pytest.mark.parametrize("train_format", FORMATS)
def test_the_shape_finds_the_table_and_its_list_columns(make_task, train_format):
    if train_format == "parquet":
        pytest.importorskip("pyarrow")
    shape = shape_of(_with_lists(make_task(kind="regression"), train_format))
    assert shape.train_file == f"train.{train_format}"
    assert shape.number_lists == ("vec",) and shape.text_lists == ("notes",)
    assert not shape.target_list


@pytest.mark.slow
@pytest.mark.parametrize("train_format", FORMATS)
def test_scripts_read_the_training_table_and_use_shared_columns(make_task, tmp_path, train_format):
    if train_format == "parquet":
        pytest.importorskip("pyarrow")
    task = _with_lists(make_task(kind="regression"), train_format)
    shape = shape_of(task)
    code = render(RECIPE, task.spec, plan="p", shape=shape)
    result, workdir = _run(code, task, tmp_path)
    assert result.returncode == 0, result.stderr
    grade = Grader(task).grade((workdir / "submission.csv").read_bytes(), ("search",))
    assert grade.valid, grade.reason


@pytest.mark.slow
def test_a_one_item_list_target_is_fitted_by_its_item(make_task, tmp_path):
    task = _with_lists(make_task(kind="regression"), "csv", list_target=True)
    shape = shape_of(task)
    assert shape.target_list
    code = render(RECIPE, task.spec, plan="p", shape=shape)
    result, workdir = _run(code, task, tmp_path)
    assert result.returncode == 0, result.stderr
    written = pd.read_csv(workdir / "submission.csv")["y"].map(json.loads)
    assert written.map(len).eq(1).all()
    truth = pd.read_csv(task.answers_path).set_index("id")["y"]
    predicted = written.map(lambda v: v[0]).set_axis(pd.read_csv(workdir / "submission.csv")["id"])
    error = np.sqrt(((predicted - truth.loc[predicted.index]) ** 2).mean())
    assert error < truth.std()  # learned from the items, not a constant
