"""The usual meaning of an error, for the debug prompt: on the error lines the local model's
scripts died of (as scikit-learn words them today), and shown in the debug prompt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline

from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.known_errors import explain
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import resolve_task

from .recorder import Recorder

LIMITS = ExecutionLimits(time_s=60, memory_mb=2048)
TRACEBACK = 'Traceback (most recent call last):\n  File "solution.py", line 7, in <module>\n'


def _error_of(call) -> str:
    """The last line of the traceback `call` raises, as a script's stderr would end."""
    try:
        call()
    except Exception as exc:  # what scikit-learn raises, whatever its class
        return f"{TRACEBACK}{type(exc).__name__}: {exc}\n"
    raise AssertionError("expected an error")


def _doubled_encoding():
    encode = ColumnTransformer([("n", SimpleImputer(), ["a"])])
    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [0, 1]})
    make_pipeline(encode, make_pipeline(encode, LogisticRegression())).fit(frame[["a"]], [0, 1])


def _two_predictions_for_five_rows():
    submission = pd.DataFrame({"id": range(5)})
    submission["p"] = np.zeros(2)


def _probabilities_as_one_column():
    submission = pd.DataFrame({"id": [1, 2]})
    submission["p"] = np.zeros((2, 2))


@pytest.mark.parametrize(
    ("call", "meaning"),
    [
        (_doubled_encoding, "was given an array, not a DataFrame"),
        (
            lambda: HistGradientBoostingClassifier(n_estimators=3),
            "`HistGradientBoostingClassifier` has no parameter `n_estimators`",
        ),
        (lambda: mean_squared_error([1], [1], squared=False), "root_mean_squared_error"),
        (
            lambda: LogisticRegression().fit(np.array([[np.nan], [1.0]]), [0, 1]),
            "missing values reached an estimator",
        ),
        (lambda: LogisticRegression().predict([[1.0]]), "`LogisticRegression` was used before"),
        (
            lambda: ColumnTransformer([("n", SimpleImputer(), ["a", "b"])]).fit(
                pd.DataFrame({"a": [1.0]})
            ),
            "remove it from those lists too",
        ),
        (lambda: make_pipeline(LogisticRegression).fit([[1.0], [2.0]], [0, 1]), "as a class"),
        (
            lambda: HistGradientBoostingClassifier().set_params(min_samples_split=2),
            "`HistGradientBoostingClassifier` has no parameter `min_samples_split`",
        ),
        (
            lambda: make_pipeline(LogisticRegression()).set_params(C=2.0),
            "`C` of its `LogisticRegression` step is `<step>__C`",
        ),
        (  # live, modechoice: `submission[TARGETS[0]] = model.predict_proba(X_test)`
            _probabilities_as_one_column,
            "a table of 2 columns went where one column goes",
        ),
        (  # live, wine: a model as a middle step of a pipeline
            lambda: make_pipeline(HistGradientBoostingClassifier(), LogisticRegression()).fit(
                [[1.0], [2.0]], [0, 1]
            ),
            "`HistGradientBoostingClassifier` is a model, and a pipeline's steps before the last",
        ),
        (  # live, modechoice: validation-split predictions beside the test ids
            lambda: pd.DataFrame({"id": pd.Series(range(5)), "p": np.zeros(2)}),
            "2 predictions were put beside 5 rows: predict on `X_test`",
        ),
        (
            _two_predictions_for_five_rows,
            "2 predictions were put beside 5 rows: predict on `X_test`",
        ),
        (  # live, wine: `pd.DataFrame({ID: X_test[ID]})`
            lambda: pd.DataFrame({"a": [1.0]})[["a"]]["id"],
            "if `id` is a column name, the DataFrame it was read from has no such column",
        ),
    ],
)
def test_the_errors_the_model_met_are_explained(call, meaning):
    assert meaning in (explain(_error_of(call)) or "")


def test_an_unknown_error_gets_no_explanation():
    assert explain(TRACEBACK + "NameError: name 'y_train' is not defined\n") is None
    assert explain("") is None


def test_the_debug_prompt_says_what_the_error_usually_means():
    parent = Node(
        id=0, operator="draft", status=NodeStatus.BUGGY, code="print(1)\n", plan="p",
        failure="error", error="ValueError", stderr_tail=_error_of(_doubled_encoding),
    )  # fmt: skip
    chat = Recorder()
    context = OperatorContext(
        task=resolve_task("breast-cancer"), parents=(parent,), history=(parent,),
        backend=chat, seed=0, node_id=1, limits=LIMITS,
    )  # fmt: skip
    OPERATORS.get("debug").apply(context)
    assert "What this error usually means: a ColumnTransformer that selects" in chat.prompts[0]
