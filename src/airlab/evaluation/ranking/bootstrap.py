"""Confidence in a ranking: bootstrap over voters (tasks).

Tasks are the unit of evidence, so the ranking is recomputed on `n_boot` resamples of the tasks
drawn with replacement (a task drawn twice counts twice; one never drawn is left out), and the
percentile interval of every agent's rating and rank is reported. Ballots with integer weights
(e.g. PrefLib counts) are resampled voter by voter; other weights by ballot. Resampling is
seeded, so a CI is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import METHODS, Ranking, competition_ranks


@dataclass(frozen=True)
class RankingCI:
    """A ranking with bootstrap percentile intervals for each agent's rating and rank."""

    ranking: Ranking
    rating_low: np.ndarray
    rating_high: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    coverage: np.ndarray
    n_boot: int
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per agent, best first: method, rank, agent, rating, CI bounds, tasks."""
        r = self.ranking
        df = pd.DataFrame(
            {
                "method": r.method,
                "rank": r.ranks.astype(int),
                "agent": list(r.agents),
                "rating": r.ratings.astype(float),
                "rating_low": self.rating_low,
                "rating_high": self.rating_high,
                "rank_low": self.rank_low,
                "rank_high": self.rank_high,
                "tasks": self.coverage,
            }
        )
        pos = {a: i for i, a in enumerate(r.order)}
        order = np.argsort([pos[a] for a in r.agents], kind="stable")
        return df.iloc[order].reset_index(drop=True)


def resample_weights(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One bootstrap replicate of voter weights."""
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    if total <= 0:
        return w.copy()
    if np.all(w == np.round(w)):
        return rng.multinomial(round(total), w / total).astype(np.float64)
    counts = rng.multinomial(len(w), np.full(len(w), 1.0 / len(w)))
    return w * counts


def bootstrap_ranking(
    profile: Profile,
    method: str,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    **options: Any,
) -> RankingCI:
    """`method` on `profile`, with percentile intervals from `n_boot` resamples of the voters."""
    if not 0 < level < 1:
        raise EvaluationError(f"confidence level must be in (0, 1), got {level}")
    fn = METHODS.get(method)
    point = fn(profile, **options)
    k = profile.n_agents
    coverage = profile.coverage()
    if n_boot <= 0:
        nan = np.full(k, np.nan)
        return RankingCI(point, nan, nan, nan, nan, coverage, 0, level)
    rng = np.random.default_rng(seed)
    drawn = np.stack([resample_weights(profile.weights, rng) for _ in range(n_boot)])
    # identical resamples (common with few tasks) give identical rankings: fit each once
    weight_matrix, inverse = np.unique(drawn, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    n_unique = len(weight_matrix)
    ratings = np.empty((n_unique, k))
    ranks = np.empty((n_unique, k))
    fast = getattr(fn, "replicates", None)
    chunk = max(1, 4_000_000 // max(1, k * k))
    done = 0
    if fast is not None:
        while done < n_unique:
            rows = weight_matrix[done : done + chunk]
            out = fast(profile, rows, **options)
            if out is None:
                break
            ratings[done : done + len(rows)] = out
            ranks[done : done + len(rows)] = [competition_ranks(r) for r in out]
            done += len(rows)
    for b in range(done, n_unique):
        rep = fn(profile.reweighted(weight_matrix[b]), **options)
        ratings[b] = rep.ratings
        ranks[b] = rep.ranks
    ratings, ranks = ratings[inverse], ranks[inverse]
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    return RankingCI(
        point,
        np.percentile(ratings, lo, axis=0),
        np.percentile(ratings, hi, axis=0),
        np.percentile(ranks, lo, axis=0),
        np.percentile(ranks, hi, axis=0),
        coverage,
        n_boot,
        level,
    )
