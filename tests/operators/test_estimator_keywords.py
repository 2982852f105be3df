"""The `estimator_keywords` repair: `n_estimators=` given to a histogram booster, as the 1.5B local
model wrote it in 4 recorded scripts (one kept in `fixtures/qwen2.5-coder-1.5b/
booster-keywords`), given as the booster's own `max_iter=`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airlab.operators.estimator_keywords import rename_estimator_keywords
from airlab.operators.repairs import repair

from .sandboxed import local_task, run_on_table

RECORDED = Path(__file__).parent / "fixtures" / "qwen2.5-coder-1.5b" / "booster-keywords"


def _wine_like(public: Path) -> None:
    """A small table shaped like wine's: numeric measurements, the target `cultivar` (0-2)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(90, 4)), columns=["alcohol", "ash", "hue", "proline"])
    frame.insert(0, "id", range(90))
    frame["cultivar"] = rng.integers(0, 3, 90)
    public.mkdir(parents=True)
    frame.iloc[:60].to_csv(public / "train.csv", index=False)
    frame.iloc[60:].drop(columns="cultivar").to_csv(public / "test.csv", index=False)


def test_the_recorded_draft_fails_at_construction_and_runs_renamed(tmp_path):
    written = (RECORDED / "wine-draft.py").read_text()
    task = local_task("wine")
    as_written, meta = repair(written, task, estimator_keywords=False)
    assert meta["auto_imports"] == ["HistGradientBoostingClassifier"]  # bound nowhere
    failed = run_on_table(as_written, tmp_path / "as-written", _wine_like)
    assert not failed.succeeded
    assert "unexpected keyword argument 'n_estimators'" in failed.stderr_tail
    repaired, meta = repair(written, task)
    assert repaired == as_written.replace("(n_estimators=100,", "(max_iter=100,")
    assert meta["estimator_keywords"] == [repaired.splitlines().index(
        "estimator = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1)"
    ) + 1]  # fmt: skip
    ran = run_on_table(repaired, tmp_path / "repaired", _wine_like)
    assert ran.succeeded, ran.stderr_tail
    assert ran.submission is not None and ran.submission.startswith(b"id,cultivar")


IMPORT = "from sklearn.ensemble import HistGradientBoostingRegressor\n"


@pytest.mark.parametrize(
    ("code", "fixed"),
    [
        (
            IMPORT + "m = HistGradientBoostingRegressor(n_estimators=n * 2, max_depth=3)\n",
            IMPORT + "m = HistGradientBoostingRegressor(max_iter=n * 2, max_depth=3)\n",
        ),
        (
            "m = HistGradientBoostingClassifier(\n    n_iter=50,\n)\n",
            "m = HistGradientBoostingClassifier(\n    max_iter=50,\n)\n",
        ),
        (
            IMPORT
            + "pipe = make_pipeline(encode, HistGradientBoostingRegressor(n_estimators=9))\n",
            IMPORT + "pipe = make_pipeline(encode, HistGradientBoostingRegressor(max_iter=9))\n",
        ),
    ],
)
def test_the_boosters_count_of_iterations_is_given_by_its_own_name(code, fixed):
    repaired, lines = rename_estimator_keywords(code)
    assert repaired == fixed
    assert lines == [2]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (
            "m = HistGradientBoostingRegressor(n_estimators=9, max_iter=5)\n",
            "max_iter is given: which count is meant is not certain",
        ),
        ("m = RandomForestRegressor(n_estimators=9)\n", "a forest takes n_estimators"),
        (
            "from xgboost import HistGradientBoostingRegressor\n"
            "m = HistGradientBoostingRegressor(n_estimators=9)\n",
            "not scikit-learn's class",
        ),
        (
            "from sklearn.ensemble import RandomForestRegressor as HistGradientBoostingRegressor\n"
            "m = HistGradientBoostingRegressor(n_estimators=9)\n",
            "another class under the name",
        ),
        (
            "def HistGradientBoostingRegressor(**kw):\n    return kw\n"
            "m = HistGradientBoostingRegressor(n_estimators=9)\n",
            "the script's own function",
        ),
        ("m = HistGradientBoostingRegressor(n_estimators=9\n", "no parse"),
    ],
)
def test_anything_else_is_left_as_written(code, why):
    assert rename_estimator_keywords(code) == (code, []), why
