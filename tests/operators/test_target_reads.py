"""The check for a target read from the test data: it catches what the local model wrote (a
self-made score from `public/test.csv`, which has no target column), and stays silent where the
same words are legitimate (a validation split named `test`, a column stored before it is read,
a guarded read, a function's own parameter)."""

from pathlib import Path

import pytest

from airlab import pyast
from airlab.backends import Candidate
from airlab.failures import Failure
from airlab.operators.checks import Checks, candidate_problem
from airlab.operators.target_reads import target_read_from_test

FIXTURES = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b"
READ = 'import pandas as pd\ntest = pd.read_csv("public/test.csv")\n'


def diagnose(code: str, targets=("invest",)) -> str | None:
    return target_read_from_test(pyast.parse(code), targets)


def test_the_models_self_made_score_from_the_test_file_is_caught_on_its_line():
    code = (FIXTURES / "grunfeld-draft-1.py").read_text()
    found = diagnose(code)
    line = next(i for i, text in enumerate(code.splitlines(), 1) if "y_hidden =" in text)
    assert found is not None and found.startswith(f"line {line} reads the target")
    assert "`test_hidden`" in found and "validation split" in found


@pytest.mark.parametrize(
    "code",
    [
        READ + 'y = test["invest"]\n',
        READ + 'TARGET = "invest"\ny = test[TARGET]\n',
        READ + 'TARGETS = ["invest"]\ny = test[TARGETS[0]]\n',
        READ + 'X_test = test[["value"]]\ny = X_test["invest"]\n',
        READ + "hold = test.copy()\ny = hold.invest\n",
        READ + 'y = test[["id", "invest"]]\n',
    ],
    ids=["constant", "named", "listed", "narrowed", "attribute", "in-a-list"],
)
def test_reads_of_the_target_from_test_data_are_found(code):
    assert diagnose(code) is not None


@pytest.mark.parametrize(
    "code",
    [
        READ + "from sklearn.model_selection import train_test_split\n"
        'train = pd.read_csv("public/train.csv")\ntrain, test = train_test_split(train)\n'
        'y = test["invest"]\n',
        READ + 'test["invest"] = 0.0\ntest[["id", "invest"]].to_csv("submission.csv")\n',
        READ + 'if "invest" in test.columns:\n    y = test["invest"]\n',
        READ + 'try:\n    y = test["invest"]\nexcept KeyError:\n    y = None\n',
        READ + 'def score(test):\n    return test["invest"]\n',
        'import pandas as pd\ntrain = pd.read_csv("public/train.csv")\ny = train["invest"]\n',
        READ + 'y = test["value"]\n',
    ],
    ids=["split-named-test", "stored-first", "if-columns", "try", "parameter", "train", "feature"],
)
def test_legitimate_uses_of_the_same_words_are_not_flagged(code):
    assert diagnose(code) is None


def test_a_task_without_targets_checks_nothing():
    assert diagnose(READ + 'y = test["invest"]\n', targets=()) is None


def test_the_check_fails_the_candidate_before_it_runs_and_can_be_switched_off():
    code = (FIXTURES / "grunfeld-draft-1.py").read_text()
    # names off: the raw answer reads NUMERIC, which the I/O prelude adds before checks run
    on = Checks(names=False, targets=("invest",))
    problem = candidate_problem(Candidate("", code), [], checks=on)
    assert problem is not None and problem[0] == Failure.CHECK_FAILED
    assert "reads the target" in problem[1]
    # constant off too: this draft also kept the skeleton's DummyRegressor as its only model
    off = Checks(names=False, targets=("invest",), target_reads=False, constant=False)
    assert candidate_problem(Candidate("", code), [], checks=off) is None
