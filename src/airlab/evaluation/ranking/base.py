"""The result every ranking method returns, and the registry of methods by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import numpy as np
import pandas as pd

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.params import params_from_signature
from airlab.registry import Registry


class RankingMethod(Protocol):
    """A ranking method: a profile (and options) in, a `Ranking` out."""

    def __call__(self, profile: Profile, **options: Any) -> Ranking: ...


METHODS: Registry[RankingMethod] = Registry("ranking method", error=EvaluationError)


_Method = TypeVar("_Method", bound=Callable[..., "Ranking"])


def register(name: str) -> Callable[[_Method], _Method]:
    """Decorator registering a ranking method under `name` (e.g. `airlab rank --method NAME`).

    Its Params model is its signature: the keyword parameters after `profile`, their types and
    defaults (so `rank(profile, "sco", temprature=2)` fails with a "did you mean")."""

    def add(fn: _Method) -> _Method:
        METHODS.register(name, cast(RankingMethod, fn), params=params_from_signature(fn))
        return fn

    return add


@dataclass(frozen=True)
class Ranking:
    """Ratings and ranks of agents under one method.

    `ratings[i]` belongs to `agents[i]` (higher is better; its scale is the method's own: Elo
    points, SCO ratings in [0, 100], lottery probabilities, Borda points...). `ranks[i]` is the
    agent's place, 1 for the best; tied agents share the smallest place of their group
    (competition ranking 1, 2, 2, 4). `extra` holds method-specific outputs (the lottery, the
    Kemeny score, the locked pairs...).
    """

    method: str
    agents: tuple[str, ...]
    ratings: np.ndarray
    ranks: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def order(self) -> tuple[str, ...]:
        """Agents best first; tied agents keep the profile's agent order."""
        idx = sorted(range(len(self.agents)), key=lambda i: (self.ranks[i], i))
        return tuple(self.agents[i] for i in idx)

    @property
    def ties(self) -> list[tuple[str, ...]]:
        """Groups of two or more agents sharing a rank, best group first."""
        groups: dict[int, list[str]] = {}
        for a in self.order:
            groups.setdefault(int(self.ranks[self.agents.index(a)]), []).append(a)
        return [tuple(g) for _, g in sorted(groups.items()) if len(g) > 1]

    @property
    def winners(self) -> tuple[str, ...]:
        """Agents ranked first (more than one when tied)."""
        return tuple(a for a, r in zip(self.agents, self.ranks, strict=True) if r == 1)

    def rating(self, agent: str) -> float:
        return float(self.ratings[self.agents.index(agent)])

    def rank_of(self, agent: str) -> int:
        return int(self.ranks[self.agents.index(agent)])

    def to_frame(self) -> pd.DataFrame:
        """One row per agent, best first: method, rank, agent, rating."""
        df = pd.DataFrame(
            {
                "method": self.method,
                "rank": self.ranks.astype(int),
                "agent": list(self.agents),
                "rating": self.ratings.astype(float),
            }
        )
        pos = {a: i for i, a in enumerate(self.order)}
        return df.iloc[np.argsort([pos[a] for a in self.agents], kind="stable")].reset_index(
            drop=True
        )


def competition_ranks(ratings: np.ndarray, *, rtol: float = 1e-9, atol: float = 1e-9) -> np.ndarray:
    """Ranks from ratings (higher is better); ratings equal within tolerance share a rank.

    Tolerance groups are formed along the sorted ratings (adjacent gaps ≤ tol join a group), so
    floating-point noise from an optimiser does not split agents that are exactly symmetric.
    """
    r = np.asarray(ratings, dtype=np.float64)
    n = len(r)
    ranks = np.zeros(n, dtype=np.int64)
    order = np.argsort(-r, kind="stable")
    place = 1
    for pos, i in enumerate(order):
        if pos > 0:
            prev = r[order[pos - 1]]
            same = (np.isinf(prev) and prev == r[i]) or (
                abs(prev - r[i]) <= atol + rtol * max(abs(prev), abs(r[i]))
            )
            if not same:
                place = pos + 1
        ranks[i] = place
    return ranks


def ranks_from_tiers(tiers: Sequence[Sequence[int]], n: int) -> np.ndarray:
    """Competition ranks from tiers of agent indices, best tier first."""
    ranks = np.zeros(n, dtype=np.int64)
    place = 1
    for tier in tiers:
        for i in tier:
            ranks[i] = place
        place += len(tier)
    return ranks


def make_ranking(
    method: str,
    profile: Profile,
    ratings: np.ndarray,
    ranks: np.ndarray | None = None,
    **extra: Any,
) -> Ranking:
    """Package ratings (and ranks; default: from the ratings, ties within tolerance)."""
    ratings = np.asarray(ratings, dtype=np.float64)
    if ranks is None:
        ranks = competition_ranks(ratings)
    return Ranking(method, profile.agents, ratings, np.asarray(ranks, dtype=np.int64), extra)
