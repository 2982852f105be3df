"""`search_params`: a hyperparameter grid's keys fitted to the estimator it searches. The 1.5B
local model's improve answer (recorded in `fixtures/qwen2.5-coder-1.5b/search-grid`) gave a
pipeline's booster an MLP's `batch_size`; its debug answer dropped that and put the pipeline's
keys on a bare booster. Both died of `Invalid parameter` at the first fit; repaired, both run."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from airlab.operators.repairs import repair
from airlab.operators.search_params import fit_search_params

from .sandboxed import local_task, run_on_table
from .test_submission_frame import TEST_ROWS, _modechoice_like

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "search-grid"
TASK = local_task("modechoice")


@pytest.mark.slow
def test_the_recorded_improve_answer_fails_as_written_and_searches_repaired(tmp_path):
    written = (RECORDED / "modechoice-improve.py").read_text()
    as_written, _ = repair(written, TASK, search_params=False)
    failed = run_on_table(as_written, tmp_path / "as-written", _modechoice_like)
    assert not failed.succeeded and "Invalid parameter 'batch_size'" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    assert meta["search_params"] == [_line_of(repaired, "param_grid = {")]
    # the keys are what the repair changes; fewer boosting rounds (9 x 5 fits of up to 3000
    # rounds took 48 of the 60 s here) make the run take seconds and leave the keys as repaired
    rounds = '"histgradientboostingclassifier__max_iter": [1000, 2000, 3000]'
    assert rounds in repaired
    quick = repaired.replace(rounds, '"histgradientboostingclassifier__max_iter": [10, 20, 30]')
    ran = run_on_table(quick, tmp_path / "repaired", _modechoice_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None
    submission = pd.read_csv(io.BytesIO(ran.submission))
    assert list(submission.columns) == ["id", "chosen"] and len(submission) == TEST_ROWS


@pytest.mark.slow
def test_the_recorded_debug_answer_runs_with_its_grid_fitted_or_its_encoder_put_back(tmp_path):
    """The debug answer searched a bare booster on the raw table (its text column unencoded)
    with the pipeline's keys. With `unused_encoder` the booster gets the skeleton's encoder in
    front and the keys fit as written; without it, `search_params` fits the keys to the bare
    booster, which then dies of the text column."""
    written = (RECORDED / "modechoice-debug.py").read_text()
    as_written, _ = repair(written, TASK, search_params=False, unused_encoder=False)
    failed = run_on_table(as_written, tmp_path / "as-written", _modechoice_like)
    assert "Invalid parameter 'histgradientboostingclassifier" in failed.stderr_tail
    keys_fitted, meta = repair(written, TASK, unused_encoder=False)
    assert "'learning_rate': [0.1, 0.2, 0.3]" in keys_fitted and meta["search_params"]
    ran = run_on_table(keys_fitted, tmp_path / "keys-fitted", _modechoice_like)
    assert "could not convert string to float" in ran.stderr_tail
    repaired, meta = repair(written, TASK)
    assert "search_params" not in meta and meta["unused_encoder"]
    assert "GridSearchCV(estimator=make_pipeline(encode, HistGradientBoostingClassifier())" in (
        repaired
    )
    # not run again: the same pipeline grid as the improve answer's above, which runs
    assert '"histgradientboostingclassifier__max_iter": [1000, 2000, 3000]' in repaired


def _line_of(code: str, text: str) -> int:
    return next(n for n, line in enumerate(code.splitlines(), 1) if line.startswith(text))


def _fit(code: str) -> tuple[str, list[int]]:
    return fit_search_params(code)


def _grid(code: str) -> object:
    """The dict literal the script binds to `grid`, as a value."""
    line = next(x for x in code.splitlines() if x.startswith("grid ="))
    start = code.index(line) + len("grid =")
    return ast.literal_eval(code[start : code.index("}", start) + 1].strip())


def test_a_pipelines_prefix_on_a_bare_estimator_is_dropped():
    code = (
        "from sklearn.ensemble import RandomForestRegressor\n"
        "grid = {'randomforestregressor__max_depth': [3, 5], 'model__n_estimators': [10]}\n"
        "search = GridSearchCV(RandomForestRegressor(), grid, cv=3)\n"
    )
    fitted, lines = _fit(code)
    assert lines == [2]
    assert _grid(fitted) == {"max_depth": [3, 5], "n_estimators": [10]}


def test_a_pipelines_last_step_gets_its_name_and_an_unknown_parameter_goes():
    code = (
        "encode = ColumnTransformer([('n', StandardScaler(), ['a'])])\n"
        "model = make_pipeline(encode, HistGradientBoostingClassifier())\n"
        "grid = {\n"
        "    'learning_rate': [0.1, 0.2],\n"
        "    'histgradientboostingclassifier__batch_size': [64],  # an MLP's\n"
        "    'columntransformer__remainder': ['drop'],\n"
        "    'histgradientboostingclassifier__max_iter': [100],\n"
        "}\n"
        "search = RandomizedSearchCV(model, param_distributions=grid, n_iter=2)\n"
    )
    fitted, lines = _fit(code)
    assert lines == [3]
    assert _grid(fitted) == {
        "histgradientboostingclassifier__learning_rate": [0.1, 0.2],
        "columntransformer__remainder": ["drop"],
        "histgradientboostingclassifier__max_iter": [100],
    }
    assert "    'histgradientboostingclassifier__max_iter': [100],\n}" in fitted  # one per line


def test_named_steps_and_lists_of_grids():
    code = (
        "pipe = Pipeline([('scale', StandardScaler()), ('clf', LogisticRegression())])\n"
        "grid = [{'clf__C': [1.0], 'C': [2.0]}, {'clf__penalty': ['l2'], 'clf__depth': [1]}]\n"
        "GridSearchCV(pipe, grid)\n"
    )
    fitted, _ = _fit(code)
    line = fitted.splitlines()[1]
    # `C` would be `clf__C`, which the grid gives already: the one written for the step stays
    assert line == "grid = [{'clf__C': [1.0]}, {'clf__penalty': ['l2']}]"


def test_what_is_valid_or_unknown_is_left_alone():
    valid = (
        "from sklearn.ensemble import BaggingClassifier\n"
        "grid = {'estimator__max_depth': [2], 'n_estimators': [5]}\n"  # a nested estimator's
        "GridSearchCV(BaggingClassifier(DecisionTreeClassifier()), grid)\n"
    )
    foreign = (
        "from xgboost import XGBClassifier\n"  # not scikit-learn's: its parameters are unknown
        "grid = {'xgbclassifier__eta': [0.1]}\n"
        "GridSearchCV(XGBClassifier(), grid)\n"
    )
    rebound = (
        "model = make_pipeline(StandardScaler(), Ridge())\n"
        "model = Ridge()\n"  # two values: which one is searched is not literal
        "GridSearchCV(model, {'ridge__alpha': [1.0]})\n"
    )
    unresolved_step = (
        "pipe = Pipeline([('prep', prep), ('model', Ridge())])\n"
        "GridSearchCV(pipe, {'prep__k': [3], 'model__alpha': [1.0]})\n"
    )
    unlisted_steps = (
        "steps = make_steps()\n"  # a pipeline whose steps the script computes
        "GridSearchCV(Pipeline(steps), {'clf__C': [1.0]})\n"
    )
    for code in (valid, foreign, rebound, unresolved_step, unlisted_steps):
        assert _fit(code) == (code, [])
    assert _fit("GridSearchCV(model, grid\n") == ("GridSearchCV(model, grid\n", [])


def test_every_fitted_grid_is_one_scikit_learns_search_accepts():
    """The property: whatever keys the repair keeps, the search fits (an emptied grid fits the
    estimator once, as it is)."""
    x, y = make_classification(n_samples=60, n_features=4, random_state=0)
    search = "GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), grid)\n"
    grids = [
        "grid = {'batch_size': [32], 'logisticregression__hidden': [1]}\n",
        "grid = {'C': [0.5, 1.0], 'logisticregression__tol': [1e-3], 'model__solver': ['lbfgs']}\n",
    ]
    fitted = [_grid(_fit(grid + search)[0]) for grid in grids]
    assert fitted[0] == {}
    assert fitted[1] == {
        "logisticregression__C": [0.5, 1.0],
        "logisticregression__tol": [1e-3],
        "logisticregression__solver": ["lbfgs"],
    }
    for grid in fitted:
        model = make_pipeline(StandardScaler(), LogisticRegression())
        assert GridSearchCV(model, grid, cv=2).fit(x, y).best_params_ is not None


def test_switched_off_it_changes_nothing():
    code = (RECORDED / "modechoice-debug.py").read_text()
    assert "search_params" not in repair(code, TASK, search_params=False)[1]
    assert "histgradientboostingclassifier__max_iter" in repair(code, TASK, search_params=False)[0]
