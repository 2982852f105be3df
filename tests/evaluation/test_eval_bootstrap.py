"""Bootstrap over tasks: reproducible intervals that bracket the point estimate."""

from __future__ import annotations

import numpy as np
import pytest

from airlab.evaluation import Profile, bootstrap_ranking
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.ranking import METHODS
from airlab.evaluation.ranking.bootstrap import resample_weights


def skill_profile(seed: int = 0) -> Profile:
    rng = np.random.default_rng(seed)
    u = np.arange(5)[None, :] * 0.6 + rng.normal(size=(12, 5))
    return Profile([f"agent{i}" for i in range(5)], u, voters=[f"task{i}" for i in range(12)])


@pytest.mark.parametrize("method", ["elo", "sco", "borda", "lottery"])
def test_bootstrap_is_seeded_and_brackets_point(method: str) -> None:
    profile = skill_profile()
    a = bootstrap_ranking(profile, method, n_boot=60, seed=1)
    b = bootstrap_ranking(profile, method, n_boot=60, seed=1)
    np.testing.assert_array_equal(a.rating_low, b.rating_low)
    frame = a.to_frame()
    assert list(frame.columns) == [
        "method",
        "rank",
        "agent",
        "rating",
        "rating_low",
        "rating_high",
        "rank_low",
        "rank_high",
        "tasks",
    ]
    assert (frame["rank_low"] <= frame["rank_high"]).all()
    assert (frame["tasks"] == 12).all()
    assert frame["agent"].iloc[0] == "agent4"


@pytest.mark.parametrize("method", ["elo", "sco"])
def test_batched_replicates_match_one_by_one(method: str) -> None:
    profile = skill_profile(2)
    options = {"iterations": 1500} if method == "sco" else {}
    fast = bootstrap_ranking(profile, method, n_boot=20, seed=4, **options)
    slow_fn = METHODS.get(method)
    rng = np.random.default_rng(4)
    drawn = np.stack([resample_weights(profile.weights, rng) for _ in range(20)])
    ratings = np.stack([slow_fn(profile.reweighted(w), **options).ratings for w in drawn])
    np.testing.assert_allclose(fast.rating_low, np.percentile(ratings, 2.5, axis=0), atol=1e-3)
    np.testing.assert_allclose(fast.rating_high, np.percentile(ratings, 97.5, axis=0), atol=1e-3)


def test_resample_weights_keeps_total_for_integer_counts() -> None:
    rng = np.random.default_rng(0)
    w = np.array([5.0, 2.0, 1.0])
    for _ in range(10):
        r = resample_weights(w, rng)
        assert r.sum() == 8
    fractional = resample_weights(np.array([0.5, 1.5]), rng)
    assert set(np.round(fractional / np.array([0.5, 1.5]))) <= {0.0, 1.0, 2.0}


def test_bootstrap_zero_and_bad_level() -> None:
    profile = skill_profile()
    none = bootstrap_ranking(profile, "borda", n_boot=0)
    assert np.isnan(none.rating_low).all()
    with pytest.raises(EvaluationError):
        bootstrap_ranking(profile, "borda", level=1.5)
