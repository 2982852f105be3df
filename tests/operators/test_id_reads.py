"""The `id_reads` repair: the id read from the features (`X_test[ID]`), as the 1.5B local model
wrote it in six recorded scripts, read from the frame the features were selected from."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.id_reads import read_ids_from_source
from airlab.operators.repairs import repair
from airlab.tasks import resolve_task

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "split-unpacking"
SKELETON = (
    'import pandas as pd\n'
    'train = pd.read_csv("public/train.csv")\n'
    'test = pd.read_csv("public/test.csv")\n'
    'ID = "id"\n'
    'FEATURES = [c for c in test.columns if c != ID]\n'
    'X, X_test = train[FEATURES], test[FEATURES]\n'
)  # fmt: skip


def test_the_recorded_submission_line_reads_the_id_from_test():
    written = (RECORDED / "wine-0.py").read_text()
    repaired, lines = read_ids_from_source(written, "id")
    assert lines == [40]
    assert "submission = pd.DataFrame({ID: test[ID]})" in repaired
    assert repaired.replace("test[ID]})", "X_test[ID]})") == written  # nothing else changed


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("ids = X_test[ID]", "ids = test[ID]"),
        ('ids = X_test["id"]', 'ids = test["id"]'),
        ("rows = X[ID].nunique()", "rows = train[ID].nunique()"),
        ("s = pd.DataFrame({ID: X_test[ID], 'y': 0})", "s = pd.DataFrame({ID: test[ID], 'y': 0})"),
    ],
)
def test_an_id_read_from_a_column_selection_is_read_from_its_frame(line, fixed):
    repaired, lines = read_ids_from_source(SKELETON + line + "\n", "id")
    assert lines == [7]
    assert repaired.splitlines()[-1] == fixed


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (SKELETON + "ids = X_test['name']\n", "not the id column"),
        (SKELETON + "X_test = X_test.fillna(0)\nids = X_test[ID]\n", "X_test bound twice"),
        (
            SKELETON.replace("test[FEATURES]", "test[test.a > 0]") + "ids = X_test[ID]\n",
            "a row filter, not a column selection",
        ),
        (
            SKELETON.replace('test = pd.read_csv("public/test.csv")', "test = make()")
            + "ids = X_test[ID]\n",
            "a frame not read by read_csv",
        ),
        (SKELETON + "X_test[ID] = 1\n", "a store, not a read"),
        (SKELETON + "ID = 'name'\nids = X_test[ID]\n", "ID bound twice"),
        ("X_test = test[FEATURES]\nids = X_test[ID]\n", "nothing bound: left alone"),
    ],
)
def test_what_is_not_certain_is_left_as_written(code, why):
    assert read_ids_from_source(code, "id") == (code, []), why


def test_the_repair_is_recorded_and_switchable():
    code = SKELETON + "ids = X_test[ID]\n"
    task = resolve_task("breast-cancer")  # its id column is `id`
    assert task.spec.id_column == "id"
    assert repair(code, task)[1] == {"id_reads": [7]}
    assert repair(code, task, id_reads=False) == (code, {})
