"""Per-task scores: AIRS normalisation, percentile ranks with ties, MLE-bench medals, CIs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.scores import (
    airs_normalised_score,
    airs_phi,
    best,
    bootstrap_ci,
    is_better,
    linear_normalised_score,
    medal,
    medal_positions,
    medal_thresholds,
    oriented_score,
    percentile_rank,
    valid_submission_rate,
)


def test_direction_helpers() -> None:
    assert oriented_score(0.3, "minimize") == -0.3
    assert is_better(0.2, 0.3, "minimize")
    assert is_better(0.3, 0.2, "maximize")
    assert best([0.1, math.nan, 0.5], "minimize") == 0.1
    with pytest.raises(EvaluationError, match="sideways"):
        oriented_score(1.0, "sideways")


# ---------------------------------------------------------------- AIRS-Bench normalised score
@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.9, 0.0), (0.99, 1.0), (0.999, 2.0), (0.95, -math.log10(0.05) - 1.0)],
)
def test_airs_ns_accuracy(score: float, expected: float) -> None:
    # optimal 1.0, baseline 0.9 (φ = 1), reference 0.99 (φ = 2)
    assert airs_normalised_score(score, 0.9, 0.99, 1.0) == pytest.approx(expected)


def test_airs_ns_minimised_metric() -> None:
    # rmse: optimal 0, baseline 1.0 (φ = 0), reference 0.1 (φ = 1)
    assert airs_normalised_score(0.01, 1.0, 0.1, 0.0) == pytest.approx(2.0)
    assert airs_normalised_score(2.0, 1.0, 0.1, 0.0) == pytest.approx(-math.log10(2.0))


def test_airs_ns_at_the_optimum_is_clipped() -> None:
    assert airs_phi(1.0, 1.0) == pytest.approx(12.0)
    assert airs_normalised_score(0.0, 1.0, 0.1, 0.0) == pytest.approx(12.0)
    assert airs_normalised_score(0.0, 1.0, 0.1, 0.0, eps=1e-6) == pytest.approx(6.0)


def test_airs_ns_undefined_scale_raises() -> None:
    with pytest.raises(EvaluationError, match="equally far"):
        airs_normalised_score(0.5, 0.9, 1.1, 1.0)


def test_linear_normalised_score_both_directions() -> None:
    assert linear_normalised_score(0.95, 0.9, 1.0) == pytest.approx(0.5)
    assert linear_normalised_score(15.0, 20.0, 10.0) == pytest.approx(0.5)  # minimised
    with pytest.raises(EvaluationError):
        linear_normalised_score(1.0, 2.0, 2.0)


# ---------------------------------------------------------------- percentile rank
def test_percentile_rank_averages_tied_ranks() -> None:
    board = [0.9, 0.8, 0.8, 0.7]
    # inserted 0.8 ties with two entries: ranks 2, 3, 4 -> 3; n = 5 -> (5 - 3) / 4
    assert percentile_rank(0.8, board, "maximize") == pytest.approx(0.5)
    assert percentile_rank(1.0, board, "maximize") == 1.0
    assert percentile_rank(0.5, board, "maximize") == 0.0
    assert percentile_rank(0.9, board, "maximize") == pytest.approx((5 - 1.5) / 4)


def test_percentile_rank_minimise() -> None:
    assert percentile_rank(2.0, [1.0, 2.0, 3.0], "minimize") == pytest.approx(0.5)
    assert percentile_rank(0.5, [1.0, 2.0, 3.0], "minimize") == 1.0
    assert percentile_rank(math.nan, [1.0, 2.0], "minimize") == 0.0
    with pytest.raises(EvaluationError):
        percentile_rank(1.0, [], "minimize")


# ---------------------------------------------------------------- MLE-bench medals
@pytest.mark.parametrize(
    ("n", "positions"),
    [
        (1, (1, 1, 1)),
        (5, (1, 1, 2)),
        (50, (5, 10, 20)),
        (99, (9, 19, 39)),
        (100, (10, 20, 40)),
        (150, (10, 30, 60)),
        (249, (10, 49, 99)),
        (250, (10, 50, 100)),
        (500, (11, 50, 100)),
        (999, (11, 50, 100)),
        (1000, (12, 50, 100)),
        (2000, (14, 100, 200)),
        (4321, (18, 216, 432)),
    ],
)
def test_medal_positions_by_bracket(n: int, positions: tuple[int, int, int]) -> None:
    assert medal_positions(n) == positions


def test_medal_thresholds_maximise() -> None:
    board = list(np.arange(1.0, 51.0))  # 50 entries, best = 50
    t = medal_thresholds(board, "maximize")
    assert (t.gold, t.silver, t.bronze) == (46.0, 41.0, 31.0)
    assert t.median == 25.5
    assert medal(46.0, board, "maximize").name == "gold"
    assert medal(45.9, board, "maximize").name == "silver"
    assert medal(31.0, board, "maximize").name == "bronze"
    m = medal(30.0, board, "maximize")
    assert m.name == "none" and m.above_median and not m.any_medal
    assert not medal(25.5, board, "maximize").above_median  # strictly above


def test_medal_thresholds_minimise_large_board() -> None:
    board = list(np.arange(1.0, 1201.0))  # 1200 entries, best = 1 (e.g. an error)
    t = medal_thresholds(board, "minimize")
    # gold = 10 + int(2.4) = 12th, silver 5% = 60th, bronze 10% = 120th
    assert (t.gold, t.silver, t.bronze) == (12.0, 60.0, 120.0)
    assert medal(12.0, board, "minimize").gold
    assert medal(60.0, board, "minimize").silver
    assert medal(None, board, "minimize") == medal(math.nan, board, "minimize")
    assert not medal(None, board, "minimize").above_median


def test_medal_needs_entries() -> None:
    with pytest.raises(EvaluationError):
        medal_thresholds([], "maximize")


# ---------------------------------------------------------------- rates and CIs
def test_valid_submission_rate() -> None:
    assert valid_submission_rate([True, False, True, True]) == 0.75
    assert math.isnan(valid_submission_rate([]))


def test_bootstrap_ci_is_seeded_and_brackets_the_mean() -> None:
    values = [0.71, 0.74, 0.69, 0.80, 0.77]
    a = bootstrap_ci(values, seed=3)
    b = bootstrap_ci(values, seed=3)
    assert a == b
    assert a.low <= a.estimate <= a.high
    assert a.estimate == pytest.approx(np.mean(values))
    assert min(values) <= a.low and a.high <= max(values)
    single = bootstrap_ci([0.5])
    assert (single.low, single.high) == (0.5, 0.5)
    empty = bootstrap_ci([math.nan])
    assert empty.n == 0 and math.isnan(empty.estimate)
