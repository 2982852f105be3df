"""Per-task scores: direction-aware comparison, normalisation, percentile rank, medals, CIs.

Sources: AIRS-Bench's normalised score (φ(s) = −log10|s − s_opt|), MLE-bench's medal rules
(`mlebench/grade_helpers.py`, after kaggle.com/progression) and aira-dojo's percentile rank.
Scores are raw metric values; `direction` says whether higher ("maximize") or lower
("minimize") is better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import rankdata

from airlab.evaluation.errors import EvaluationError

Direction = Literal["maximize", "minimize"]

AIRS_EPSILON = 1e-12


def check_direction(direction: str) -> Direction:
    """Validate a direction string; a one-line error names the bad value."""
    if direction not in ("maximize", "minimize"):
        raise EvaluationError(f"direction must be maximize or minimize, got {direction!r}")
    return direction  # type: ignore[return-value]


def oriented_score(score: float, direction: str) -> float:
    """The score made higher-is-better: itself when maximising, its negation when minimising."""
    return float(score) if check_direction(direction) == "maximize" else -float(score)


def is_better(a: float, b: float, direction: str) -> bool:
    """Whether score `a` is strictly better than `b`."""
    return oriented_score(a, direction) > oriented_score(b, direction)


def best(scores: Sequence[float], direction: str) -> float:
    """The best of some scores (NaN ignored; NaN if none)."""
    arr = np.asarray(scores, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return math.nan
    return float(arr.max() if check_direction(direction) == "maximize" else arr.min())


# ------------------------------------------------------------------ normalisation
def airs_phi(score: float, optimal: float, eps: float = AIRS_EPSILON) -> float:
    """φ(s) = −log10|s − s_opt|, the AIRS-Bench transform ("number of correct digits").

    At s = s_opt φ is +∞; we floor |s − s_opt| at `eps` (default 1e-12, so φ ≤ 12): a solution
    that reaches the optimum counts as if it were `eps` away from it.
    """
    return -math.log10(max(abs(float(score) - float(optimal)), eps))


def airs_normalised_score(
    score: float,
    worst: float,
    reference: float,
    optimal: float,
    eps: float = AIRS_EPSILON,
) -> float:
    """AIRS-Bench normalised score NS = (φ(s) − φ(s_min)) / (φ(s_ref) − φ(s_min)).

    `worst` is s_min (the task's estimated worst score, else its baseline), `reference` is
    s_ref (the SOTA or a stronger solution), `optimal` is the best attainable score. NS = 0 at
    s_min, 1 at the reference, above 1 beyond it; it is direction-free because φ measures the
    distance to the optimum. See `airs_phi` for s = s_opt. Raises if the reference is no closer
    to the optimum than s_min (the scale would be undefined).
    """
    lo = airs_phi(worst, optimal, eps)
    hi = airs_phi(reference, optimal, eps)
    if math.isclose(hi, lo, rel_tol=1e-12, abs_tol=1e-12):
        raise EvaluationError(
            "AIRS normalised score undefined: reference and baseline are equally far from optimal"
        )
    return (airs_phi(score, optimal, eps) - lo) / (hi - lo)


def linear_normalised_score(score: float, baseline: float, reference: float) -> float:
    """(s − baseline) / (reference − baseline): 0 at the baseline, 1 at the reference.

    Direction-free: for a minimised metric the reference is below the baseline and the sign
    works out. Raises when reference == baseline.
    """
    if reference == baseline:
        raise EvaluationError("linear normalised score undefined: reference equals baseline")
    return (float(score) - float(baseline)) / (float(reference) - float(baseline))


# ------------------------------------------------------------------ leaderboards
def percentile_rank(score: float, leaderboard: Sequence[float], direction: str) -> float:
    """Share of the leaderboard the score beats, aira-dojo style.

    Insert the score into the leaderboard (n = len + 1 entries), rank all entries best first
    with tied entries sharing their average rank, and return (n − rank) / (n − 1): 1 for a score
    strictly better than every entry, 0 for one strictly worse than all. An empty leaderboard
    raises.
    """
    board = np.asarray(list(leaderboard), dtype=np.float64)
    board = board[~np.isnan(board)]
    if board.size == 0:
        raise EvaluationError("percentile rank needs a non-empty leaderboard")
    if math.isnan(float(score)):
        return 0.0
    entries = np.append(board, float(score))
    oriented = entries if check_direction(direction) == "maximize" else -entries
    ranks = rankdata(-oriented, method="average")  # 1 = best
    n = len(entries)
    return float((n - ranks[-1]) / (n - 1))


@dataclass(frozen=True)
class MedalThresholds:
    """Scores needed for each medal on one leaderboard (MLE-bench / Kaggle progression)."""

    gold: float
    silver: float
    bronze: float
    median: float
    n_entries: int
    direction: Direction


@dataclass(frozen=True)
class Medal:
    """What one score earns against a leaderboard."""

    gold: bool
    silver: bool
    bronze: bool
    above_median: bool

    @property
    def any_medal(self) -> bool:
        return self.gold or self.silver or self.bronze

    @property
    def name(self) -> str:
        """'gold' | 'silver' | 'bronze' | 'none'."""
        for label in ("gold", "silver", "bronze"):
            if getattr(self, label):
                return label
        return "none"


def medal_positions(n_entries: int) -> tuple[int, int, int]:
    """Leaderboard places (1-based) of the last gold, silver and bronze medal for N entries.

    N < 100: top 10% / 20% / 40%; 100 ≤ N < 250: 10th place / 20% / 40%;
    250 ≤ N < 1000: 10 + 0.2%·N / 50th / 100th; N ≥ 1000: 10 + 0.2%·N / 5% / 10%.
    Percentages are floored and at least 1, exactly as MLE-bench's `rank_score`.
    """
    n = int(n_entries)
    if n < 1:
        raise EvaluationError("medal thresholds need at least one leaderboard entry")
    if n < 100:
        return max(1, int(n * 0.1)), max(1, int(n * 0.2)), max(1, int(n * 0.4))
    if n < 250:
        return 10, max(1, int(n * 0.2)), max(1, int(n * 0.4))
    if n < 1000:
        return 10 + int(n * 0.002), 50, 100
    return 10 + int(n * 0.002), max(1, int(n * 0.05)), max(1, int(n * 0.1))


def medal_thresholds(leaderboard: Sequence[float], direction: str) -> MedalThresholds:
    """Gold/silver/bronze cut-off scores and the median of a leaderboard.

    The leaderboard is sorted best first by `direction` (MLE-bench infers the direction from the
    order of its CSV; we take it from the task), and each threshold is the score at the place
    `medal_positions` gives.
    """
    d = check_direction(direction)
    board = np.asarray(list(leaderboard), dtype=np.float64)
    board = board[~np.isnan(board)]
    ordered = np.sort(board)[::-1] if d == "maximize" else np.sort(board)
    gold, silver, bronze = medal_positions(len(ordered))
    return MedalThresholds(
        gold=float(ordered[gold - 1]),
        silver=float(ordered[silver - 1]),
        bronze=float(ordered[bronze - 1]),
        median=float(np.median(ordered)),
        n_entries=len(ordered),
        direction=d,
    )


def medal(score: float | None, leaderboard: Sequence[float], direction: str) -> Medal:
    """The medal a score earns: at least as good as a threshold wins it (the best one only);
    above median is strict. A missing score (invalid submission) earns nothing."""
    t = medal_thresholds(leaderboard, direction)
    if score is None or math.isnan(float(score)):
        return Medal(False, False, False, False)
    s = oriented_score(score, t.direction)

    def reaches(threshold: float) -> bool:
        return s >= oriented_score(threshold, t.direction)

    gold = reaches(t.gold)
    silver = not gold and reaches(t.silver)
    bronze = not gold and not silver and reaches(t.bronze)
    above_median = s > oriented_score(t.median, t.direction)
    return Medal(gold, silver, bronze, above_median)


# ------------------------------------------------------------------ rates and intervals
def valid_submission_rate(valid: Sequence[bool]) -> float:
    """Share of runs that produced a valid submission (NaN for no runs)."""
    arr = np.asarray(list(valid), dtype=bool)
    return float(arr.mean()) if arr.size else math.nan


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap percentile interval."""

    estimate: float
    low: float
    high: float
    n: int
    level: float


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    statistic: Literal["mean", "median"] = "mean",
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of the mean (or median) of per-seed values.

    Seeds are resampled with replacement `n_boot` times with a seeded generator, so the interval
    is reproducible. NaNs are dropped; one value gives a zero-width interval; none gives NaNs.
    """
    if not 0 < level < 1:
        raise EvaluationError(f"confidence level must be in (0, 1), got {level}")
    arr = np.asarray(list(values), dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0, level)
    fn = np.mean if statistic == "mean" else np.median
    estimate = float(fn(arr))
    if arr.size == 1:
        return Interval(estimate, estimate, estimate, 1, level)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(n_boot, arr.size))
    stats = fn(arr[idx], axis=1)
    lo, hi = np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return Interval(estimate, float(lo), float(hi), int(arr.size), level)
