"""Ranking methods against textbook profiles whose results are published."""

from __future__ import annotations

import numpy as np
import pytest

from airlab.evaluation import Profile, rank
from airlab.evaluation.ranking.lottery import maximal_lottery
from airlab.evaluation.ranking.schulze import strongest_paths

TENNESSEE_ORDER = ("Nashville", "Chattanooga", "Knoxville", "Memphis")


# ---------------------------------------------------------------- Schulze (Wikipedia example)
def test_schulze_pairwise_matrix_matches_wikipedia(schulze_profile: Profile) -> None:
    # d[X, Y] = number of voters preferring X to Y, as tabulated on Wikipedia
    expected = np.array(
        [
            [0, 20, 26, 30, 22],
            [25, 0, 16, 33, 18],
            [19, 29, 0, 17, 24],
            [15, 12, 28, 0, 14],
            [23, 27, 21, 31, 0],
        ]
    )
    assert schulze_profile.agents == ("A", "B", "C", "D", "E")
    np.testing.assert_array_equal(schulze_profile.pairwise(), expected)


def test_schulze_strongest_paths_match_wikipedia(schulze_profile: Profile) -> None:
    n = schulze_profile.pairwise()
    d = np.where(n > n.T, n, 0.0)
    expected = np.array(
        [
            [0, 28, 28, 30, 24],
            [25, 0, 28, 33, 24],
            [25, 29, 0, 29, 24],
            [25, 28, 28, 0, 24],
            [25, 28, 28, 31, 0],
        ]
    )
    np.testing.assert_array_equal(strongest_paths(d), expected)


@pytest.mark.parametrize("strength", ["margin", "winning_votes"])
def test_schulze_order_is_e_a_c_b_d(schulze_profile: Profile, strength: str) -> None:
    result = rank(schulze_profile, "schulze", strength=strength)
    assert result.winners == ("E",)
    assert result.order == ("E", "A", "C", "B", "D")
    assert result.ties == []


def test_schulze_profile_has_no_condorcet_winner(schulze_profile: Profile) -> None:
    assert schulze_profile.condorcet_winner() is None


# ---------------------------------------------------------------- Tennessee capital
def test_tennessee_nashville_is_condorcet_winner(tennessee: Profile) -> None:
    assert tennessee.condorcet_winner() == "Nashville"


@pytest.mark.parametrize(
    "method", ["ranked_pairs", "kemeny", "schulze", "copeland", "iterated_lottery", "sco"]
)
def test_tennessee_condorcet_methods_order(tennessee: Profile, method: str) -> None:
    assert rank(tennessee, method).order == TENNESSEE_ORDER


def test_tennessee_ranked_pairs_locks_published_pairs(tennessee: Profile) -> None:
    locked = rank(tennessee, "ranked_pairs").extra["locked"]
    # margins (per cent): Chattanooga>Knoxville 66, Nashville>Knoxville 36,
    # Nashville>Chattanooga 36, Nashville>Memphis 16, Chattanooga>Memphis 16,
    # Knoxville>Memphis 16; all lock, no cycle
    assert [(a, b) for a, b, _ in locked[:1]] == [("Chattanooga", "Knoxville")]
    assert {(a, b, w) for a, b, w in locked} == {
        ("Chattanooga", "Knoxville", 66.0),
        ("Nashville", "Knoxville", 36.0),
        ("Nashville", "Chattanooga", 36.0),
        ("Nashville", "Memphis", 16.0),
        ("Chattanooga", "Memphis", 16.0),
        ("Knoxville", "Memphis", 16.0),
    }


def test_tennessee_kemeny_score(tennessee: Profile) -> None:
    result = rank(tennessee, "kemeny")
    # agreements of N > C > K > M with the 100 ballots (Wikipedia's Kemeny table):
    # N>C 68, N>K 68, N>M 58, C>K 83, C>M 58, K>M 58
    assert result.extra["score"] == pytest.approx(393.0)
    assert result.extra["winners"] == ["Nashville"]
    assert result.extra["n_optimal"] == 1


def test_tennessee_borda_scores_match_wikipedia(tennessee: Profile) -> None:
    result = rank(tennessee, "borda")
    assert result.rating("Nashville") == 194
    assert result.rating("Chattanooga") == 173
    assert result.rating("Memphis") == 126
    assert result.rating("Knoxville") == 107
    assert result.order == ("Nashville", "Chattanooga", "Memphis", "Knoxville")


def test_tennessee_copeland_scores(tennessee: Profile) -> None:
    result = rank(tennessee, "copeland")
    assert [result.rating(c) for c in TENNESSEE_ORDER] == [3, 2, 1, 0]


def test_tennessee_lottery_is_condorcet_winner(tennessee: Profile) -> None:
    result = rank(tennessee, "lottery")
    assert result.rating("Nashville") == pytest.approx(1.0)
    assert result.winners == ("Nashville",)


# ---------------------------------------------------------------- cycles and lotteries
def test_condorcet_cycle_gives_uniform_lottery(cycle: Profile) -> None:
    p = maximal_lottery(cycle.margins())
    np.testing.assert_allclose(p, [1 / 3, 1 / 3, 1 / 3], atol=1e-9)
    result = rank(cycle, "iterated_lottery")
    assert result.ties == [("A", "B", "C")]


def test_weighted_cycle_lottery_is_proportional_to_opposite_margins() -> None:
    # A>B by 1, B>C by 3, C>A by 5: the maximal lottery is (3, 5, 1)/9 (margin game of RPS type)
    m = np.array([[0, 1, -5], [-1, 0, 3], [5, -3, 0]], dtype=float)
    np.testing.assert_allclose(maximal_lottery(m), np.array([3, 5, 1]) / 9, atol=1e-9)


def test_lottery_with_ties_picks_max_entropy() -> None:
    # two clones of a Condorcet-cycle member: every split of its mass is maximal; max entropy
    # splits it evenly
    m = np.array(
        [
            [0, 1, 1, -1],
            [-1, 0, 0, 1],
            [-1, 0, 0, 1],
            [1, -1, -1, 0],
        ],
        dtype=float,
    )
    p = maximal_lottery(m)
    assert p[1] == pytest.approx(p[2], abs=1e-6)
    np.testing.assert_allclose(p @ m, 0.0, atol=1e-8)
    np.testing.assert_allclose(p, [1 / 3, 1 / 6, 1 / 6, 1 / 3], atol=1e-6)


def test_iterated_lottery_full_ranking_of_condorcet_order() -> None:
    profile = Profile.from_ballots(["ABCD", "ABDC", "BACD"])
    assert rank(profile, "iterated_lottery").order == ("A", "B", "C", "D")


# ---------------------------------------------------------------- Elo vs Condorcet (SCO paper)
def test_elo_misses_condorcet_winner_sco_finds_it(elo_vs_condorcet: Profile) -> None:
    assert elo_vs_condorcet.condorcet_winner() == "C"
    elo = rank(elo_vs_condorcet, "elo")
    assert elo.order[0] == "A"
    sco = rank(elo_vs_condorcet, "sco")
    assert sco.order[0] == "C"
    assert sco.order == ("C", "A", "B")  # the Kemeny order
    assert rank(elo_vs_condorcet, "kemeny").order == ("C", "A", "B")


def test_elo_is_the_bradley_terry_mle(elo_vs_condorcet: Profile) -> None:
    result = rank(elo_vs_condorcet, "elo", prior=0.0)
    gamma = result.extra["gamma"]
    wins = elo_vs_condorcet.pairwise()
    games = wins + wins.T
    expected = (games * gamma[:, None] / (gamma[:, None] + gamma[None, :])).sum(axis=1)
    # the MLE equates each agent's wins with its expected wins
    np.testing.assert_allclose(wins.sum(axis=1), expected, rtol=1e-6)
    assert result.ratings.mean() == pytest.approx(1000.0)
    # ratings are 400·log10(γ)
    diff = result.rating("A") - result.rating("B")
    assert diff == pytest.approx(400 * np.log10(gamma[0] / gamma[1]))


def test_elo_ties_count_half() -> None:
    tied = Profile.from_ballots([[("A", "B")], [("A", "B")]])
    result = rank(tied, "elo")
    assert result.ties == [("A", "B")]


def test_nash_agent_game_supports_condorcet_winner(elo_vs_condorcet: Profile) -> None:
    result = rank(elo_vs_condorcet, "nash")
    assert result.order[0] == "C"
    assert result.rating("C") == 0.0
    assert result.rating("A") < 0 and result.rating("B") < 0


def test_nash_on_cycle_is_uniform_and_tied(cycle: Profile) -> None:
    result = rank(cycle, "nash")
    np.testing.assert_allclose(result.extra["equilibrium"], 1 / 3, atol=1e-8)
    assert result.ties == [("A", "B", "C")]


def test_nash_task_game_discounts_duplicated_easy_tasks() -> None:
    # agent X wins tasks t1..t3 (copies of one easy task); Y wins the hard task h
    agents = ["X", "Y", "Z"]
    easy = [3.0, 2.0, 1.0]
    hard = [1.0, 3.0, 2.0]
    profile = Profile(agents, np.array([easy, easy, easy, hard]), voters=["t1", "t2", "t3", "h"])
    plain = rank(profile, "borda")
    assert plain.order[0] == "X"  # three copies of the easy task outvote the hard one
    nash_result = rank(profile, "nash", game="task")
    weights = nash_result.extra["task_weights"]
    assert sum(weights.values()) == pytest.approx(1.0)
    # duplicated tasks share mass; the ranking is that of a single easy and a single hard task
    dedup = Profile(agents, np.array([easy, hard]), voters=["t", "h"])
    np.testing.assert_allclose(
        nash_result.ratings, rank(dedup, "nash", game="task").ratings, atol=1e-6
    )
