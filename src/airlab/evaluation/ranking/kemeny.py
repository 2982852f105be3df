"""Kemeny–Young: the order that agrees with the most pairwise preferences, exactly.

The Kemeny score of an order is Σ_{a above b} N(a, b), the weight of (voter, pair) preferences it
agrees with; maximising it minimises the total Kendall-tau distance to complete strict ballots,
and equals maximising Σ_{a above b} M(a, b) in general (pref_voting's "marginal" form). The problem
is NP-hard; we solve it exactly by dynamic programming over subsets (Held–Karp style):

    h(S) = max_{x ∈ S} [ Σ_{y ∈ S∖{x}} N(x, y) + h(S∖{x}) ],   h(∅) = 0,

h(S) being the best score of an order of the agents in S, x its top. Time and memory grow as
m · 2^m, so the method refuses more than `max_agents` agents: by default 18 (about 0.2 s); it
can be raised to 20 (about a second and 170 MB). Use `sco` (Soft Condorcet Optimization
approximates Kemeny) or `ranked_pairs` for more agents.

Ties: when several orders are optimal, the ranking keeps only what they all agree on: a is placed
above b iff every optimal order puts a above b, and the ranking lists the tiers of that partial
order (agents the optimal orders disagree on are tied). With a unique optimum it is that order.
`extra["order"]` is one optimal order (at each position the optimal agent that comes first in
the profile's agent order), `extra["winners"]` every agent that tops some optimal order (what
pref_voting's `kemeny_young` returns), `extra["n_optimal"]` the number of optimal orders and
`extra["score"]` their Kemeny score. Rating = number of agents an agent is above in every
optimal order.
"""

from __future__ import annotations

import numpy as np

from airlab.evaluation.errors import TooManyAgentsError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, make_ranking, ranks_from_tiers, register
from airlab.evaluation.ranking.tiers import tiers_from_dominance

DEFAULT_MAX_AGENTS = 18
HARD_MAX_AGENTS = 20


def _subset_gains(pairwise: np.ndarray) -> np.ndarray:
    """gain[x, S] = Σ_{y ∈ S} N(x, y) for every subset S (bitmask), built bit by bit."""
    m = pairwise.shape[0]
    gain = np.zeros((m, 1 << m), dtype=np.float64)
    for bit in range(m):
        lo = 1 << bit
        gain[:, lo : 2 * lo] = gain[:, :lo] + pairwise[:, bit : bit + 1]
    return gain


def kemeny_dp(pairwise: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """h(S) for every subset S, with the number of optimal orders of S and the gain table."""
    n = np.asarray(pairwise, dtype=np.float64)
    m = n.shape[0]
    size = 1 << m
    gain = _subset_gains(n)
    masks = np.arange(size)
    popcount = np.zeros(size, dtype=np.int64)
    for bit in range(m):
        popcount += (masks >> bit) & 1
    h = np.full(size, -np.inf)
    count = np.zeros(size, dtype=np.float64)
    h[0] = 0.0
    count[0] = 1.0
    scale = max(1.0, float(np.abs(n).sum()))
    tol = 1e-9 * scale
    for k in range(1, m + 1):
        layer = masks[popcount == k]
        best = np.full(len(layer), -np.inf)
        ways = np.zeros(len(layer))
        for x in range(m):
            has = (layer >> x) & 1 == 1
            sub = layer[has]
            rest = sub & ~(1 << x)
            val = gain[x, rest] + h[rest]
            cur = best[has]
            better = val > cur + tol
            equal = np.abs(val - cur) <= tol
            ways_has = ways[has]
            ways_has = np.where(
                better, count[rest], np.where(equal, ways_has + count[rest], ways_has)
            )
            best[has] = np.where(better, val, cur)
            ways[has] = ways_has
        h[layer] = best
        count[layer] = ways
    return h, count, gain


def always_above(pairwise: np.ndarray, h: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """above[a, b]: a is above b in every optimal order.

    A set S is the top |S| agents of some optimal order iff
    h(S) + Σ_{x ∈ S} gain[x, U∖S] + h(U∖S) = h(U). b can be above a in an optimal order iff some
    such S holds b but not a, i.e. a is missing from the intersection of those S that hold b.
    """
    m = pairwise.shape[0]
    size = 1 << m
    full = size - 1
    masks = np.arange(size)
    comp = full ^ masks
    cross = np.zeros(size)
    for x in range(m):
        has = (masks >> x) & 1 == 1
        cross[has] += gain[x, comp[has]]
    tol = 1e-9 * max(1.0, float(np.abs(pairwise).sum()))
    prefix = np.abs(h + cross + h[comp] - h[full]) <= tol
    above = np.zeros((m, m), dtype=bool)
    for b in range(m):
        holding_b = masks[prefix & ((masks >> b) & 1 == 1)]
        common = int(np.bitwise_and.reduce(holding_b)) if len(holding_b) else full
        for a in range(m):
            if a != b and (common >> a) & 1:
                above[b, a] = True  # every optimal prefix holding b holds a: a is above b
    return above.T


@register("kemeny")
def kemeny(profile: Profile, max_agents: int = DEFAULT_MAX_AGENTS) -> Ranking:
    """Exact Kemeny–Young ranking (see the module docstring for the limit and for ties)."""
    m = profile.n_agents
    limit = min(int(max_agents), HARD_MAX_AGENTS)
    if m > limit:
        raise TooManyAgentsError(
            f"kemeny is exact only up to {limit} agents (got {m}); "
            "use --method sco (approximates Kemeny) or ranked_pairs"
        )
    n = profile.pairwise()
    h, count, gain = kemeny_dp(n)
    tol = 1e-9 * max(1.0, float(np.abs(n).sum()))
    full = (1 << m) - 1
    order: list[int] = []
    remaining = full
    while remaining:
        for x in range(m):
            if (remaining >> x) & 1:
                rest = remaining & ~(1 << x)
                if abs(gain[x, rest] + h[rest] - h[remaining]) <= tol:
                    order.append(x)
                    remaining = rest
                    break
    winners = [
        profile.agents[x]
        for x in range(m)
        if abs(gain[x, full & ~(1 << x)] + h[full & ~(1 << x)] - h[full]) <= tol
    ]
    above = always_above(n, h, gain) if m else np.zeros((0, 0), dtype=bool)
    tiers = tiers_from_dominance(above)
    ranks = ranks_from_tiers(tiers, m)
    rating = above.sum(axis=1).astype(np.float64)
    return make_ranking(
        "kemeny",
        profile,
        rating,
        ranks,
        score=float(h[full]),
        order=[profile.agents[x] for x in order],
        winners=winners,
        n_optimal=int(count[full]),
    )
