"""Differential test: our rules against the `pref_voting` package on random profiles.

Hundreds of seeded random profiles of three kinds: complete strict orders, complete orders with
ties, and partial (truncated) orders with ties. For each rule both packages implement we compare
what is defined the same way in both (see each check for the exact claim). Skipped when
pref_voting is not installed (it is a test-only dependency, in the `dev` extra).
"""

from __future__ import annotations

import itertools
import os

# pref_voting compiles its helpers with numba on first use (tens of seconds on a busy 2-core
# machine); on profiles this small the plain-Python versions are faster. Only effective when
# numba has not been imported yet.
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")

import numpy as np
import pytest

from airlab.evaluation import Profile, rank
from airlab.evaluation.ranking.lottery import maximal_lottery

pv_profiles = pytest.importorskip("pref_voting.profiles")
pv_ties = pytest.importorskip("pref_voting.profiles_with_ties")
pv_margin = pytest.importorskip("pref_voting.margin_based_methods")
pv_other = pytest.importorskip("pref_voting.other_methods")
pv_prob = pytest.importorskip("pref_voting.probabilistic_methods")
pv_scoring = pytest.importorskip("pref_voting.scoring_methods")
pv_c1 = pytest.importorskip("pref_voting.c1_methods")

N_PROFILES = 200  # per kind (600 profiles in all)


def random_ballots(rng: np.random.Generator, kind: str, m: int) -> list[list[list[int]]]:
    """Ballots as tiers of candidate ids (best first)."""
    n_ballots = int(rng.integers(1, 9))
    ballots = []
    for _ in range(n_ballots):
        perm = [int(c) for c in rng.permutation(m)]
        if kind == "linear":
            ballots.append([[c] for c in perm])
            continue
        if kind == "partial":
            perm = perm[: int(rng.integers(1, m + 1))]
        tiers: list[list[int]] = []
        for c in perm:
            if tiers and rng.random() < 0.35:
                tiers[-1].append(c)
            else:
                tiers.append([c])
        ballots.append(tiers)
    return ballots


def build(kind: str, seed: int) -> tuple[Profile, object, int, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(3, 7))
    ballots = random_ballots(rng, kind, m)
    counts = [int(c) for c in rng.integers(1, 4, size=len(ballots))]
    agents = [str(c) for c in range(m)]
    ours = Profile.from_ballots(
        [[[str(c) for c in tier] for tier in b] for b in ballots], counts, agents=agents
    )
    if kind == "linear":
        theirs = pv_profiles.Profile([[t[0] for t in b] for b in ballots], counts)
    else:
        dicts = [{c: depth + 1 for depth, tier in enumerate(b) for c in tier} for b in ballots]
        theirs = pv_ties.ProfileWithTies(dicts, counts, candidates=list(range(m)))
    return ours, theirs, m, np.array(counts)


def ids(names: tuple[str, ...] | list[str]) -> list[int]:
    return sorted(int(a) for a in names)


KINDS = ["linear", "ties", "partial"]


def cases(kind: str):
    offset = {"linear": 0, "ties": 100_000, "partial": 200_000}[kind]
    for seed in range(offset, offset + N_PROFILES):
        yield build(kind, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_margins_and_condorcet_winner(kind: str) -> None:
    for ours, theirs, _, _ in cases(kind):
        np.testing.assert_array_equal(ours.margins(), np.array(theirs.margin_matrix))
        cw = theirs.condorcet_winner()
        assert ours.condorcet_winner() == (None if cw is None else str(cw))


@pytest.mark.parametrize("kind", KINDS)
def test_copeland(kind: str) -> None:
    for ours, theirs, _, _ in cases(kind):
        result = rank(ours, "copeland")
        scores = theirs.copeland_scores()
        wins_minus_losses = result.extra["wins"] - result.extra["losses"]
        assert [float(scores[c]) for c in range(ours.n_agents)] == list(wins_minus_losses)
        assert ids(result.winners) == pv_c1.copeland(theirs)


@pytest.mark.parametrize("kind", ["linear", "ties"])
def test_borda(kind: str) -> None:
    # complete ballots only: on truncated ballots pref_voting ranks unranked candidates below
    # ranked ones (extended strict preference), while ours leaves unranked pairs uncompared
    for ours, theirs, m, counts in cases(kind):
        result = rank(ours, "borda")
        if kind == "linear":
            scores = theirs.borda_scores()
            assert [float(scores[c]) for c in range(m)] == list(result.ratings)
            assert ids(result.winners) == pv_scoring.borda(theirs)
        else:
            symmetric = pv_scoring.symmetric_borda_scores(theirs)
            expected = [symmetric[c] / 2 + counts.sum() * (m - 1) / 2 for c in range(m)]
            np.testing.assert_allclose(result.ratings, expected)
            assert ids(result.winners) == pv_scoring.borda_for_profile_with_ties(theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_schulze_winners(kind: str) -> None:
    for ours, theirs, _, _ in cases(kind):
        assert ids(rank(ours, "schulze").winners) == pv_margin.beat_path(theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_ranked_pairs_winners(kind: str) -> None:
    compared_tb = compared_put = 0
    for ours, theirs, m, _ in cases(kind):
        ours_winners = ids(rank(ours, "ranked_pairs").winners)
        tb = pv_margin.ranked_pairs_tb(theirs, tie_breaker=list(range(m)))
        margins = ours.margins()[np.triu_indices(m, 1)]
        if np.all(margins != 0):
            # a tournament: the locked graph is a full order, same tie rule -> same winner
            assert ours_winners == tb
            compared_tb += 1
            if len(set(np.abs(margins))) == len(margins):
                # no ties in margins: the winner is unique under every tie-breaking rule
                assert ours_winners == pv_margin.ranked_pairs(theirs)
                compared_put += 1
        else:
            # pref_voting also locks zero-margin pairs (after all majorities), so its winner is
            # one of our undefeated agents
            assert set(tb) <= set(ours_winners)
    assert compared_tb > 0
    if kind == "linear":
        assert compared_put > 0


@pytest.mark.parametrize("kind", KINDS)
def test_kemeny_winners_and_order(kind: str) -> None:
    for ours, theirs, m, _ in cases(kind):
        result = rank(ours, "kemeny")
        assert ids(result.extra["winners"]) == pv_other.kemeny_young(theirs)
        order = [int(a) for a in result.extra["order"]]
        score = sum(ours.margins()[a, b] for i, a in enumerate(order) for b in order[i + 1 :])
        if kind == "linear":
            optimal, _ = pv_other.kemeny_young_rankings(theirs)
            optimal_set = {tuple(r) for r in optimal}
            assert tuple(order) in optimal_set
            # ranks keep exactly what every optimal order agrees on
            for a in range(m):
                for b in range(m):
                    always = all(r.index(a) < r.index(b) for r in optimal_set)
                    assert (result.ranks[a] < result.ranks[b]) >= always
                    if always:
                        assert result.rank_of(str(a)) < result.rank_of(str(b))
        else:
            best = max(
                sum(ours.margins()[a, b] for i, a in enumerate(r) for b in r[i + 1 :])
                for r in itertools.permutations(range(m))
            )
            assert score == best


@pytest.mark.parametrize("kind", KINDS)
def test_maximal_lottery(kind: str) -> None:
    unique_checked = 0
    for ours, theirs, m, counts in cases(kind):
        mine = maximal_lottery(ours.margins())
        other = pv_prob.maximal_lottery(theirs)
        theirs_p = np.array([other[c] for c in range(m)])
        margins = ours.margins()
        # both are maximal lotteries: no agent beats them in expectation
        assert np.all(mine @ margins >= -1e-7)
        assert np.all(theirs_p @ margins >= -1e-7)
        # ours has maximum entropy, so its support is the essential set, which holds theirs
        assert set(np.flatnonzero(theirs_p > 1e-7)) <= set(np.flatnonzero(mine > 1e-9))
        if kind == "linear" and counts.sum() % 2 == 1:
            # odd number of strict complete ballots: the maximal lottery is unique
            np.testing.assert_allclose(mine, theirs_p, atol=1e-6)
            unique_checked += 1
    if kind == "linear":
        assert unique_checked > 50
