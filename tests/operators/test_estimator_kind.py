"""The `estimator_kind` repair: a scikit-learn classifier drafted for a regression task, as the
1.5B local model wrote `MLPClassifier` for grunfeld's continuous target (recorded in
`fixtures/qwen2.5-coder-1.5b/classifier-for-regression`), renamed to its regressor twin; and a
regressor on a classification task to its classifier."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from airlab.operators.estimator_kind import (
    NOT_IN_THE_TWIN,
    SHARED_KEYWORDS,
    estimators_for_task,
    twins_for,
)
from airlab.operators.repairs import repair

from .sandboxed import grunfeld_like, local_task, run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "classifier-for-regression"
GRUNFELD = local_task("grunfeld")  # regression
WINE = local_task("wine")  # classification


def test_the_recorded_draft_dies_of_continuous_labels_and_runs_as_a_regressor(tmp_path):
    written = (RECORDED / "grunfeld-draft.py").read_text()
    as_written, meta = repair(written, GRUNFELD, estimator_kind=False)
    assert meta["auto_imports"] == ["MLPClassifier"]  # the draft never imports it
    failed = run_on_table(as_written, tmp_path / "as-written", grunfeld_like)
    assert not failed.succeeded and "Unknown label type" in failed.stderr_tail
    repaired, meta = repair(written, GRUNFELD)
    assert meta["estimator_kind"] == ["MLPClassifier"]
    assert "MLPClassifier" not in repaired
    assert repaired == as_written.replace("MLPClassifier", "MLPRegressor")
    ran = run_on_table(repaired, tmp_path / "repaired", grunfeld_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,invest")


@pytest.mark.parametrize("task_type", ["regression", "classification"])
def test_every_keyword_let_through_is_one_the_twin_takes_wherever_its_class_does(task_type):
    twins = twins_for(task_type, scores_labels=True)
    assert len(twins) == 11
    for name, (module, twin) in twins.items():
        imported = importlib.import_module(module)
        takes = set(inspect.signature(getattr(imported, name)).parameters)
        twin_takes = set(inspect.signature(getattr(imported, twin)).parameters)
        allowed = SHARED_KEYWORDS - NOT_IN_THE_TWIN.get(name, frozenset())
        assert not (allowed & takes) - twin_takes, (name, twin)


IMPORT = "from sklearn.ensemble import RandomForestClassifier, ExtraTreesRegressor\n"


def test_the_import_and_every_call_are_renamed_to_the_tasks_kind():
    code = IMPORT + "a = RandomForestClassifier(n_estimators=50)\nb = RandomForestClassifier()\n"
    repaired, renamed = estimators_for_task(code, GRUNFELD)
    assert renamed == ["RandomForestClassifier"]
    assert repaired == code.replace("RandomForestClassifier", "RandomForestRegressor")
    assert estimators_for_task(code, WINE) == (code, [])  # a classifier on a classification task
    regressor = "from sklearn.neural_network import MLPRegressor\nm = MLPRegressor(max_iter=9)\n"
    assert estimators_for_task(regressor, WINE) == (
        regressor.replace("MLPRegressor", "MLPClassifier"),
        ["MLPRegressor"],
    )
    assert estimators_for_task(regressor, GRUNFELD) == (regressor, [])
    epsilon = "from sklearn.svm import SVR\nm = SVR(epsilon=0.2)\n"
    assert estimators_for_task(epsilon, WINE) == (epsilon, [])  # SVC has no epsilon
    # scored on probabilities (log-loss), a regressor of the 0/1 target is a fair model
    assert local_task("modechoice").metric.kind == "probability"
    assert estimators_for_task(regressor, local_task("modechoice")) == (regressor, [])


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (
            IMPORT + "m = RandomForestClassifier(class_weight='balanced')\n",
            "a classifier's keyword",
        ),
        (IMPORT + "m = RandomForestClassifier(criterion='gini')\n", "a classifier's criterion"),
        (IMPORT + "m = RandomForestClassifier(**params)\n", "keywords not known here"),
        ("from sklearn.svm import SVC\nm = SVC(random_state=0)\n", "SVR takes no seed"),
        (
            "from sklearn.ensemble import RandomForestClassifier as RF\nm = RF()\n",
            "an alias: the name is not the class's",
        ),
        (
            "from mylib import RandomForestClassifier\nm = RandomForestClassifier()\n",
            "not scikit-learn's class",
        ),
        (
            IMPORT + "kinds = [RandomForestClassifier]\nm = kinds[0]()\n",
            "passed around, not only called",
        ),
        (
            "from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor\n"
            "m = RandomForestClassifier()\n",
            "the twin imported beside it",
        ),
        (IMPORT, "imported and never called"),
        ("m = RandomForestClassifier(\n", "no parse"),
    ],
)
def test_anything_else_is_left_as_written(code, why):
    assert estimators_for_task(code, GRUNFELD) == (code, []), why
