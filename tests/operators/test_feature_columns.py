"""The `feature_columns` repair: the encoder's column kinds read from the training table, as the
1.5B local model wrote `list(train.select_dtypes("number").columns)` in a wine draft and its
debug answer (recorded in `fixtures/qwen2.5-coder-1.5b/train-kinds`), read from the features."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.feature_columns import select_from_features
from airlab.operators.repairs import repair

from .sandboxed import local_task, run_on_table
from .test_estimator_keywords import _wine_like

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "train-kinds"


def test_the_recorded_draft_asks_the_features_for_the_target_and_runs_repaired(tmp_path):
    written = (RECORDED / "wine-draft.py").read_text()
    task = local_task("wine")
    as_written, meta = repair(written, task, feature_columns=False)
    assert "X" in meta["io_prelude"]  # the draft reads the skeleton's X without binding it
    failed = run_on_table(as_written, tmp_path / "as-written", _wine_like)
    assert not failed.succeeded
    complaint = failed.stderr_tail.splitlines()[-1]
    assert "not columns of the dataframe" in complaint and "cultivar" in complaint
    repaired, meta = repair(written, task)
    assert repaired == as_written.replace("list(train.select_dtypes", "list(X.select_dtypes")
    assert meta["feature_columns"] == [
        repaired.splitlines().index('NUMERIC = list(X.select_dtypes("number").columns)') + 1
    ]
    ran = run_on_table(repaired, tmp_path / "repaired", _wine_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,cultivar")


HEAD = (
    "train = pd.read_csv('public/train.csv')\n"
    "FEATURES = ['a', 'b']\n"
    "X = train[FEATURES]\n"
    "y = train['target']\n"
)
ENCODE = "encode = ColumnTransformer([('n', SimpleImputer(), NUMERIC)])\n"


def test_a_column_list_of_the_training_table_is_read_from_the_features():
    code = HEAD + "NUMERIC = train.select_dtypes(include='number').columns.tolist()\n" + ENCODE
    repaired, lines = select_from_features(code)
    assert repaired == code.replace("= train.select_dtypes", "= X.select_dtypes")
    assert lines == [5]


def test_features_bound_later_are_selected_where_their_list_is_bound_already():
    """A live grunfeld draft built its encoder before `X, X_test = train[FEATURES], ...`."""
    code = (
        HEAD.replace("X = train[FEATURES]\n", "")
        + "NUMERIC = list(train.select_dtypes('number').columns)\n"
        + ENCODE
        + "X, X_test = train[FEATURES], test[FEATURES]\n"
    )
    repaired, lines = select_from_features(code)
    assert repaired == code.replace(
        "list(train.select_dtypes", "list(train[FEATURES].select_dtypes"
    )
    assert lines == [4]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (
            HEAD + "NUMERIC = list(train.select_dtypes('number').columns)\nprint(NUMERIC)\n",
            "not an encoder's column list",
        ),
        (
            HEAD
            + "X2 = train[['a']]\nNUMERIC = list(train.select_dtypes('number').columns)\n"
            + ENCODE,
            "two selections of the table: which are the features is not certain",
        ),
        (
            HEAD.replace("X = train[FEATURES]\n", "")
            + "NUMERIC = list(train.select_dtypes('number').columns)\n"
            + ENCODE,
            "no name holds the features",
        ),
        (
            HEAD + "NUMERIC = list(frame.select_dtypes('number').columns)\n" + ENCODE,
            "not a frame read by read_csv",
        ),
        (
            HEAD.replace("FEATURES = ['a', 'b']\nX = train[FEATURES]\n", "")
            + "NUMERIC = list(train.select_dtypes('number').columns)\n"
            + "FEATURES = ['a', 'b']\nX = train[FEATURES]\n"
            + ENCODE,
            "the features and their list are bound after the line: reading them would fail",
        ),
    ],
)
def test_anything_less_certain_is_left_as_written(code, why):
    assert select_from_features(code) == (code, []), why
