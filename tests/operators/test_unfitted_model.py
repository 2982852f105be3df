"""`unfitted_model`: a model predicted with and never fitted, fitted first. Recorded in
`fixtures/qwen2.5-coder-1.5b/unfitted`, both live: a wine draft that only cross-validated its
booster before predicting with it, and a wine improve answer that built
`make_pipeline(encode, grid_search.best_estimator_)` after the search and predicted with it.
Both die of `NotFittedError` as written and submit repaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.operators.repairs import repair
from airlab.operators.unfitted_model import fit_unfitted_models

from .sandboxed import local_task, run_on_table
from .test_estimator_keywords import _wine_like

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "unfitted"
TASK = local_task("wine")


@pytest.mark.slow
def test_the_recorded_draft_fails_unfitted_and_submits_repaired(tmp_path):
    written = (RECORDED / "wine-draft.py").read_text()
    as_written, _ = repair(written, TASK, unfitted_model=False)
    failed = run_on_table(as_written, tmp_path / "as-written", _wine_like)
    assert "NotFittedError" in failed.stderr_tail
    repaired, meta = repair(written, TASK)
    lines = repaired.splitlines()
    fit = lines.index("estimator.fit(X, y)")
    assert meta["unfitted_model"] == [fit + 1]
    assert lines[fit + 1] == "predictions = estimator.predict(X_test)"
    ran = run_on_table(repaired, tmp_path / "repaired", _wine_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,cultivar")


def test_the_recorded_improve_answer_fits_its_pipeline_before_predicting():
    """Not run here: its random-forest grid search (108 fits) takes most of a minute before
    the prediction fails; the draft above shows the same repair running."""
    written = (RECORDED / "wine-improve.py").read_text()
    assert "unfitted_model" not in repair(written, TASK, unfitted_model=False)[1]
    repaired, meta = repair(written, TASK)
    lines = repaired.splitlines()
    fit = lines.index("model.fit(X, y)")
    assert meta["unfitted_model"] == [fit + 1]
    assert lines[fit - 3] == "model = make_pipeline(encode, best_model)"
    assert lines[fit + 1] == "y_pred = model.predict(X_test)"


HEAD = "from sklearn.ensemble import RandomForestClassifier\nX, y = load()\n"


def test_a_model_only_cross_validated_is_fitted_before_its_prediction():
    code = (
        HEAD + "model = RandomForestClassifier()\n"
        "print(cross_val_score(model, X, y).mean())\n"
        "for_test = model.predict_proba(X_test)[:, 1]\n"
    )
    fitted, lines = fit_unfitted_models(code)
    assert lines == [5]
    assert fitted.splitlines()[4:6] == [
        "model.fit(X, y)",
        "for_test = model.predict_proba(X_test)[:, 1]",
    ]


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ("model = RandomForestClassifier()\nmodel.fit(X, y)\nmodel.predict(X)\n", "fitted"),
        (
            "model = RandomForestClassifier()\nfit_it(model)\nmodel.predict(X)\n",
            "handed to code that may fit it",
        ),
        (
            "model = RandomForestClassifier()\ncross_val_score(model, X, y)\n"
            "other = RandomForestClassifier().fit(X2, y2)\nmodel.predict(X)\n",
            "two training pairs: which one is meant is not certain",
        ),
        (
            "model = grid.best_estimator_\ncross_val_score(model, X, y)\nmodel.predict(X)\n",
            "a search's fitted estimator",
        ),
        (
            "model = RandomForestClassifier()\nmodel.predict(X)\n",
            "no training pair anywhere",
        ),
        (
            "model = RandomForestClassifier()\ncross_val_score(model, A, b)\nmodel.predict(X)\n"
            "A, b = X, y\n",
            "the pair is bound only after the prediction",
        ),
    ],
)
def test_anything_less_certain_is_left_as_written(tail, why):
    code = HEAD + tail
    assert fit_unfitted_models(code) == (code, []), why
