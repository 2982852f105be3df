"""Ranked pairs (Tideman, 1987).

Every pair with a positive margin M(a, b) > 0 is a majority "a over b". Pairs are taken from the
largest margin down and locked in unless they would close a cycle with pairs already locked. The
locked pairs form an acyclic graph; the ranking lists its tiers (agents that no remaining agent
beats through locked pairs), so with an odd number of complete strict ballots the result is a
full order.

Tie rule (pairs with equal margins): they are taken in lexicographic order of (winner, loser)
by the profile's agent order, i.e. a fixed tie-breaking order over agents, the rule of
pref_voting's `ranked_pairs_tb` with its default tie breaker. Zero-margin pairs are not
majorities and are never locked, so agents whose order nothing decides are reported as tied.

Reference: T. N. Tideman, "Independence of clones as a criterion for voting rules", Social Choice
and Welfare 4 (1987).
"""

from __future__ import annotations

import numpy as np

from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, make_ranking, ranks_from_tiers, register
from airlab.evaluation.ranking.tiers import tiers_from_dominance


def lock_pairs(margins: np.ndarray) -> list[tuple[int, int, float]]:
    """Locked (winner, loser, margin) pairs in the order they were locked."""
    m = np.asarray(margins, dtype=np.float64)
    n = m.shape[0]
    pairs = [(a, b, float(m[a, b])) for a in range(n) for b in range(n) if m[a, b] > 0]
    pairs.sort(key=lambda e: (-e[2], e[0], e[1]))
    reach = np.eye(n, dtype=bool)  # reach[x, y]: y reachable from x through locked pairs
    locked: list[tuple[int, int, float]] = []
    for a, b, w in pairs:
        if reach[b, a]:
            continue  # b already reaches a: locking a → b would close a cycle
        locked.append((a, b, w))
        # everything reaching a now reaches everything b reaches
        reach[np.ix_(reach[:, a], reach[b, :])] = True
    return locked


@register("ranked_pairs")
def ranked_pairs(profile: Profile) -> Ranking:
    """Rank agents by Tideman's ranked pairs (tie rule in the module docstring)."""
    n = profile.n_agents
    locked = lock_pairs(profile.margins())
    graph = np.zeros((n, n), dtype=bool)
    for a, b, _ in locked:
        graph[a, b] = True
    tiers = tiers_from_dominance(graph)
    ranks = ranks_from_tiers(tiers, n)
    rating = (n - ranks).astype(np.float64)
    return make_ranking(
        "ranked_pairs",
        profile,
        rating,
        ranks,
        locked=[(profile.agents[a], profile.agents[b], w) for a, b, w in locked],
    )
