"""Method internals: SCO gradients and batches, exact Kemeny vs brute force, limits, registry."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import kendalltau

from airlab.errors import UnknownNameError
from airlab.evaluation import METHODS, Profile, TooManyAgentsError, rank, rank_all
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.ranking.kemeny import kemeny_dp
from airlab.evaluation.ranking.sco import alias_table, sco_gradient, sco_loss, sco_ratings


def latent_profile(
    n_agents: int, n_tasks: int, noise: float, seed: int
) -> tuple[Profile, np.ndarray]:
    rng = np.random.default_rng(seed)
    skill = rng.normal(size=n_agents)
    u = skill[None, :] + noise * rng.normal(size=(n_tasks, n_agents))
    return Profile([f"a{i:02d}" for i in range(n_agents)], u), skill


def test_registry_lists_every_method() -> None:
    assert set(METHODS.names()) == {
        "borda",
        "copeland",
        "elo",
        "iterated_lottery",
        "kemeny",
        "lottery",
        "nash",
        "ranked_pairs",
        "schulze",
        "sco",
        "sco_fy",
    }
    with pytest.raises(UnknownNameError, match="did you mean 'sco'"):
        METHODS.get("scoo")
    with pytest.raises(EvaluationError, match="method 'sco': unknown option 'temp'"):
        rank(Profile.from_ballots(["AB"]), "sco", temp=2.0)


def test_sco_gradient_matches_finite_differences() -> None:
    profile, _ = latent_profile(5, 9, 1.0, 0)
    n = profile.pairwise()
    theta = np.array([50.0, 51.0, 49.5, 50.2, 48.0])
    grad = sco_gradient(theta, n - n.T, profile.total_weight, 1.5)
    eps = 1e-6
    for a in range(5):
        step = np.zeros(5)
        step[a] = eps
        numeric = (
            sco_loss(theta + step, n, profile.total_weight, 1.5)
            - sco_loss(theta - step, n, profile.total_weight, 1.5)
        ) / (2 * eps)
        assert grad[a] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_sco_ratings_stay_in_bounds_and_symmetric_agents_tie() -> None:
    profile = Profile.from_ballots([[("A", "B"), "C"], [("A", "B"), "C"], ["C", ("A", "B")]])
    result = rank(profile, "sco")
    assert result.ratings.min() >= 0 and result.ratings.max() <= 100
    assert result.ties == [("A", "B")]
    assert result.order[-1] == "C"


def test_sco_pair_batches_agree_with_full_batch() -> None:
    profile, skill = latent_profile(30, 40, 0.7, 1)
    full = rank(profile, "sco", batch_size=0)
    sampled = rank(profile, "sco", batch_size=512, seed=3)
    tau, _ = kendalltau(full.ratings, sampled.ratings)
    assert tau > 0.85
    assert kendalltau(sampled.ratings, skill)[0] > 0.7


def test_sco_stochastic_path_is_seeded() -> None:
    profile, _ = latent_profile(12, 20, 0.5, 2)
    a = sco_ratings(profile.pairwise(), profile.total_weight, batch_size=64, seed=5, iterations=500)
    b = sco_ratings(profile.pairwise(), profile.total_weight, batch_size=64, seed=5, iterations=500)
    np.testing.assert_array_equal(a[0], b[0])


def test_sco_fenchel_young_recovers_a_clear_order() -> None:
    profile, skill = latent_profile(6, 30, 0.3, 4)
    result = rank(profile, "sco_fy", iterations=3000, seed=1)
    assert kendalltau(result.ratings, skill)[0] > 0.7
    partial = Profile.from_ballots(["ABC", "AB", "BC", "AC"])
    assert rank(partial, "sco_fy", iterations=2000).order[0] == "A"


def test_sco_rejects_bad_bounds() -> None:
    with pytest.raises(EvaluationError, match="upper bound"):
        rank(Profile.from_ballots(["AB"]), "sco", lower=10, upper=5)


def brute_force_kemeny(n: np.ndarray) -> tuple[float, set[int], int]:
    m = n.shape[0]
    scores = {}
    for order in itertools.permutations(range(m)):
        scores[order] = sum(n[a, b] for i, a in enumerate(order) for b in order[i + 1 :])
    best = max(scores.values())
    optimal = [o for o, s in scores.items() if s == best]
    return best, {o[0] for o in optimal}, len(optimal)


@pytest.mark.parametrize("seed", range(25))
def test_kemeny_dp_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 7))
    n = rng.integers(0, 4, size=(m, m)).astype(float)
    np.fill_diagonal(n, 0)
    best, winners, count = brute_force_kemeny(n)
    profile = Profile([str(i) for i in range(m)], np.zeros((1, m)))
    profile._pairwise = n  # a synthetic pairwise matrix (any N is a valid Kemeny input)
    result = rank(profile, "kemeny")
    assert result.extra["score"] == best
    assert {int(a) for a in result.extra["winners"]} == winners
    assert result.extra["n_optimal"] == count
    order = [int(a) for a in result.extra["order"]]
    assert sum(n[a, b] for i, a in enumerate(order) for b in order[i + 1 :]) == best
    optimal = [
        o
        for o in itertools.permutations(range(m))
        if sum(n[a, b] for i, a in enumerate(o) for b in o[i + 1 :]) == best
    ]
    for a in range(m):
        for b in range(m):
            always = a != b and all(o.index(a) < o.index(b) for o in optimal)
            if always:
                assert result.ranks[a] < result.ranks[b]


def test_kemeny_refuses_too_many_agents_with_a_suggestion() -> None:
    profile, _ = latent_profile(19, 3, 1.0, 0)
    with pytest.raises(TooManyAgentsError, match="use --method sco"):
        rank(profile, "kemeny")
    assert "kemeny" not in rank_all(profile)
    small, _ = latent_profile(5, 3, 1.0, 0)
    with pytest.raises(TooManyAgentsError, match="up to 4 agents"):
        rank(small, "kemeny", max_agents=4)
    large, _ = latent_profile(21, 2, 1.0, 0)
    with pytest.raises(TooManyAgentsError, match="up to 20 agents"):
        rank(large, "kemeny", max_agents=30)  # the hard limit stands


def test_kemeny_dp_on_twelve_agents_is_fast() -> None:
    profile, skill = latent_profile(12, 15, 0.2, 3)
    _, count, _ = kemeny_dp(profile.pairwise())
    assert count[-1] >= 1
    result = rank(profile, "kemeny")
    assert kendalltau(result.ratings, skill)[0] > 0.8


def test_rank_all_and_partial_profiles_everywhere() -> None:
    profile = Profile.from_ballots(["ABCD", "BCA", ["D", ("A", "C")], "CB"])
    results = rank_all(profile)
    assert set(results) == set(METHODS.names())
    for name, result in results.items():
        assert result.agents == profile.agents, name
        assert sorted(result.ranks)[0] == 1, name
        assert np.all(np.isfinite(result.ratings)), name


def test_ranking_frame_is_best_first() -> None:
    result = rank(Profile.from_ballots(["CAB", "CBA"]), "borda")
    frame = result.to_frame()
    assert list(frame["agent"]) == ["C", "A", "B"]
    assert list(frame["rank"]) == [1, 2, 2]
    assert result.ties == [("A", "B")]


def test_nash_rejects_unknown_game() -> None:
    with pytest.raises(EvaluationError, match="option 'game': Input should be 'agent' or 'task'"):
        rank(Profile.from_ballots(["AB"]), "nash", game="both")


def test_schulze_rejects_unknown_strength() -> None:
    with pytest.raises(EvaluationError, match="'strength': Input should be 'margin' or"):
        rank(Profile.from_ballots(["AB"]), "schulze", strength="ratio")


def test_alias_table_samples_in_proportion() -> None:
    weights = np.array([1.0, 3.0, 0.5, 5.5])
    keep, alias = alias_table(weights)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, 4, 200_000)
    pick = np.where(rng.random(200_000) < keep[pick], pick, alias[pick])
    freq = np.bincount(pick, minlength=4) / 200_000
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.005)
