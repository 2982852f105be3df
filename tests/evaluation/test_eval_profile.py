"""Profiles: pairwise counts with ties and partial ballots; tasks as voters from a runs table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from airlab.evaluation import Profile, profile_from_table, rank
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import pairwise_matrix, replicate_pairwise


def test_pairwise_counts_ties_and_unranked_pairs() -> None:
    # voter 1: A > B = C; voter 2 ranks only C > A (B unranked), weight 2
    profile = Profile.from_ballots([["A", ("B", "C")], ["C", "A"]], [1, 2])
    n = profile.pairwise()
    idx = {a: i for i, a in enumerate(profile.agents)}
    assert n[idx["A"], idx["B"]] == 1 and n[idx["B"], idx["A"]] == 0
    assert n[idx["A"], idx["C"]] == 1 and n[idx["C"], idx["A"]] == 2
    assert n[idx["B"], idx["C"]] == 0 and n[idx["C"], idx["B"]] == 0  # tie, and B unranked
    t = profile.ties()
    assert t[idx["B"], idx["C"]] == 1  # only voter 1 compared them, and tied them
    c = profile.compared()
    assert c[idx["A"], idx["C"]] == 3 and c[idx["A"], idx["B"]] == 1
    np.testing.assert_array_equal(profile.coverage(), [3, 1, 3])
    np.testing.assert_array_equal(profile.margins(), -profile.margins().T)


def test_from_ballots_rejects_duplicates_and_unknown_agents() -> None:
    with pytest.raises(EvaluationError, match="appears twice"):
        Profile.from_ballots(["ABA"])
    with pytest.raises(EvaluationError, match="unknown agent"):
        Profile.from_ballots(["AB"], agents=["A"])


def test_replicate_pairwise_matches_one_by_one() -> None:
    rng = np.random.default_rng(0)
    u = rng.integers(0, 3, size=(7, 4)).astype(float)
    u[rng.random(u.shape) < 0.2] = np.nan
    weights = rng.integers(0, 3, size=(5, 7)).astype(float)
    stacked = replicate_pairwise(u, weights)
    slow = replicate_pairwise(u, weights, max_stack=0)
    for b in range(5):
        np.testing.assert_array_equal(stacked[b], pairwise_matrix(u, weights[b]))
        np.testing.assert_array_equal(slow[b], stacked[b])


def runs_frame(rows: list[tuple[str, str, int, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["agent", "task", "seed", "score", "direction"])


def test_profile_from_table_averages_seeds_direction_aware() -> None:
    table = runs_frame(
        [
            ("a", "acc", 0, 0.8, "maximize"),
            ("a", "acc", 1, 0.9, "maximize"),
            ("b", "acc", 0, 0.7, "maximize"),
            ("a", "rmse", 0, 2.0, "minimize"),
            ("b", "rmse", 0, 1.0, "minimize"),
        ]
    )
    profile = profile_from_table(table)
    assert profile.agents == ("a", "b")
    assert profile.voters == ("acc", "rmse")
    np.testing.assert_allclose(profile.utilities, [[0.85, 0.7], [-2.0, -1.0]])
    np.testing.assert_array_equal(profile.pairwise(), [[0, 1], [1, 0]])


def test_invalid_runs_rules() -> None:
    table = runs_frame(
        [
            ("a", "t", 0, 0.9, "maximize"),
            ("b", "t", 0, 0.5, "maximize"),
            ("c", "t", 0, math.nan, "maximize"),
            ("c", "u", 0, 0.1, "maximize"),
            ("a", "u", 0, math.nan, "maximize"),
        ]
    )
    worst = profile_from_table(table, invalid="worst")
    # c's invalid run on t takes the worst valid score (0.5) and ties with b
    np.testing.assert_allclose(worst.utilities[0], [0.9, 0.5, 0.5])
    last = profile_from_table(table, invalid="last")
    assert last.utilities[0, 2] == -np.inf
    assert last.pairwise()[1, 2] == 1  # b above c on t
    drop = profile_from_table(table, invalid="drop")
    assert math.isnan(drop.utilities[0, 2]) and math.isnan(drop.utilities[1, 0])
    assert drop.coverage().tolist() == [1, 1, 1]
    with pytest.raises(EvaluationError, match="worst, last or drop"):
        profile_from_table(table, invalid="ignore")  # type: ignore[arg-type]


def test_valid_column_and_missing_agent_is_partial() -> None:
    table = pd.DataFrame(
        {
            "agent": ["a", "b", "a", "b", "c"],
            "task": ["t", "t", "u", "u", "u"],
            "score": [1.0, 2.0, 3.0, 1.0, 2.0],
            "valid": [True, False, True, True, True],
        }
    )
    profile = profile_from_table(table)  # direction defaults to maximize
    # b's run on t is invalid -> worst valid on t (a's 1.0); c never ran t -> unranked there
    assert profile.utilities[0, 1] == 1.0
    assert math.isnan(profile.utilities[0, 2])
    assert rank(profile, "copeland").order[0] == "a"


def test_profile_from_table_errors() -> None:
    with pytest.raises(EvaluationError, match="lacks column"):
        profile_from_table(pd.DataFrame({"agent": ["a"], "score": [1.0]}))
    with pytest.raises(EvaluationError, match="direction"):
        profile_from_table(runs_frame([("a", "t", 0, 1.0, "upwards")]))


def test_restricted_and_dense_ranks() -> None:
    profile = Profile.from_ballots(["ABC", ["C", ("A", "B")]])
    sub = profile.restricted(["C", "A"])
    assert sub.agents == ("C", "A")
    np.testing.assert_array_equal(profile.dense_ranks(), [[0, 1, 2], [1, 1, 0]])
    with pytest.raises(EvaluationError):
        profile.restricted(["Z"])
