"""Schulze (beat-path) method.

The strength of a direct defeat of a over b is its margin M(a, b) > 0 (default, as pref_voting's
`beat_path`) or its winning votes N(a, b) when N(a, b) > N(b, a) (Schulze's original choice; the
two agree on complete strict ballots, where N(a, b) + N(b, a) is constant). The strength of a path
is its weakest defeat; p[a, b] is the strongest path from a to b (widest path, Floyd–Warshall).
a is placed above b when p[a, b] > p[b, a]; Schulze (2011) proves this relation transitive. The
ranking lists its tiers: the winners (beaten by nobody), then the winners among the rest, ...;
agents in one tier are tied. Rating = number of agents an agent beats in this relation.

Reference: M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36 (2011).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, make_ranking, ranks_from_tiers, register
from airlab.evaluation.ranking.tiers import tiers_from_dominance


def strongest_paths(defeats: np.ndarray) -> np.ndarray:
    """Widest-path (max–min) closure of a matrix of direct defeat strengths (0 = no defeat)."""
    p = np.array(defeats, dtype=np.float64, copy=True)
    n = p.shape[0]
    for k in range(n):
        via = np.minimum(p[:, k : k + 1], p[k : k + 1, :])
        np.maximum(p, via, out=p)
    np.fill_diagonal(p, 0.0)
    return p


@register("schulze")
def schulze(profile: Profile, strength: Literal["margin", "winning_votes"] = "margin") -> Ranking:
    """Rank agents by the Schulze beat-path relation (ties: agents of one tier)."""
    n = profile.pairwise()
    m = n - n.T
    if strength == "margin":
        d = np.where(m > 0, m, 0.0)
    elif strength == "winning_votes":
        d = np.where(m > 0, n, 0.0)
    else:
        raise EvaluationError(f"schulze strength must be margin or winning_votes, got {strength!r}")
    p = strongest_paths(d)
    beats = p > p.T
    tiers = tiers_from_dominance(beats)
    ranks = ranks_from_tiers(tiers, profile.n_agents)
    rating = beats.sum(axis=1).astype(np.float64)
    return make_ranking("schulze", profile, rating, ranks, strongest_paths=p)
