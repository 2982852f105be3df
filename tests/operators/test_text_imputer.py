"""The `text_imputer` repair: the skeleton's text columns imputed with the median, as the 1.5B
local model wrote it in 5 recorded scripts (one kept in `fixtures/qwen2.5-coder-1.5b/
text-imputer`), imputed with their most frequent value instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.repairs import repair
from airlab.operators.text_imputer import impute_text_by_frequency
from airlab.tasks import resolve_task

from .sandboxed import grunfeld_like, local_task, run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "text-imputer"


def test_the_recorded_draft_fails_at_fit_and_runs_imputing_text_by_frequency(tmp_path):
    written = (RECORDED / "grunfeld-draft.py").read_text()
    as_written, meta = repair(written, local_task("grunfeld"), text_imputer=False)
    assert "io_prelude" in meta  # the draft uses the skeleton's `X` and `y` undefined
    failed = run_on_table(as_written, tmp_path / "as-written", grunfeld_like)
    assert not failed.succeeded
    assert "could not convert string to float" in failed.stderr_tail
    repaired, lines = impute_text_by_frequency(as_written)
    assert lines == [20 + as_written.count("\n") - written.count("\n")]
    assert repaired == as_written.replace(
        'make_pipeline(\n    SimpleImputer(strategy="median")',
        'make_pipeline(\n    SimpleImputer(strategy="most_frequent")',
    )
    ran = run_on_table(repaired, tmp_path / "repaired", grunfeld_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


COLUMNS = (
    'NUMERIC = list(X.select_dtypes("number").columns)\n'
    "CATEGORICAL = [c for c in FEATURES if c not in NUMERIC]\n"
)


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (
            COLUMNS + "encode = ColumnTransformer([\n"
            '    ("n", SimpleImputer(strategy="median"), NUMERIC),\n'
            "    (\"c\", SimpleImputer(strategy='mean'), CATEGORICAL),\n"
            "])\n",
            5,
        ),
        (
            COLUMNS + 'one_hot = Pipeline([("i", SimpleImputer(strategy="mean")), '
            '("o", OneHotEncoder())])\n'
            'encode = ColumnTransformer(transformers=[("c", one_hot, CATEGORICAL)])\n',
            3,
        ),
        (
            COLUMNS + 'one_hot = Pipeline(steps=[("i", SimpleImputer(strategy="mean")), '
            '("o", OneHotEncoder())])\n'
            'encode = ColumnTransformer([("c", one_hot, CATEGORICAL)])\n',
            3,
        ),
        (
            COLUMNS + "encode = make_column_transformer(\n"
            '    (make_pipeline(SimpleImputer(strategy="median"), OneHotEncoder()), CATEGORICAL),\n'
            ")\n",
            4,
        ),
        (
            'TEXT = X.select_dtypes(exclude="number").columns.tolist()\n'
            'encode = ColumnTransformer([("t", SimpleImputer(strategy="median"), TEXT)])\n',
            2,
        ),
    ],
)
def test_a_numeric_strategy_on_columns_certainly_not_numeric_becomes_most_frequent(code, line):
    repaired, lines = impute_text_by_frequency(code)
    assert lines == [line]
    assert "most_frequent" in repaired.splitlines()[line - 1]
    assert repaired.count('"most_frequent"') == 1
    assert 'SimpleImputer(strategy="median"), NUMERIC' in repaired or "NUMERIC)" not in code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (
            COLUMNS + 'encode = ColumnTransformer([("n", SimpleImputer(strategy="median"), '
            "NUMERIC)])\n",
            "numeric columns keep their median",
        ),
        (
            'encode = ColumnTransformer([("c", SimpleImputer(strategy="median"), ["firm"])])\n',
            "a literal list: its columns' kinds are not known here",
        ),
        (
            COLUMNS + "CATEGORICAL = CATEGORICAL + ['year']\n"
            'encode = ColumnTransformer([("c", SimpleImputer(strategy="median"), CATEGORICAL)])\n',
            "CATEGORICAL bound twice, the second time with a numeric column",
        ),
        (
            'TEXT = list(X.select_dtypes(include="float", exclude="number").columns)\n'
            'encode = ColumnTransformer([("t", SimpleImputer(strategy="median"), TEXT)])\n',
            "an include beside the exclude",
        ),
        (
            COLUMNS + 'encode = ColumnTransformer([("c", SimpleImputer(strategy="constant", '
            'fill_value="missing"), CATEGORICAL)])\n',
            "a strategy that reads text",
        ),
        (
            COLUMNS + 'encode = ColumnTransformer([("c", SimpleImputer(strategy=choice), '
            "CATEGORICAL)])\n",
            "a strategy that is not a literal",
        ),
        (COLUMNS + "encode = ColumnTransformer([\n", "no parse"),
    ],
)
def test_anything_less_certain_is_left_as_written(code, why):
    assert impute_text_by_frequency(code) == (code, []), why


def test_the_repair_is_recorded_and_switchable():
    task = resolve_task("breast-cancer")  # the repair does not depend on the task
    code = (
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.impute import SimpleImputer\n"
        "X = None\nFEATURES = []\n"
        + COLUMNS
        + 'encode = ColumnTransformer([("c", SimpleImputer(strategy="median"), CATEGORICAL)])\n'
    )
    assert repair(code, task, io_prelude=False)[1] == {"text_imputer": [7]}
    assert repair(code, task, io_prelude=False, text_imputer=False) == (code, {})
