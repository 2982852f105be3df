"""Maximal lotteries (Fishburn 1984; Brandl, Brandt & Seedig 2016) and their iterated ranking.

A maximal lottery is a probability vector p over agents that no agent beats in expectation:
pᵀM ≥ 0 column-wise, M the margin matrix. It is an optimal (and, M being antisymmetric,
symmetric) strategy of the zero-sum game with payoff M, found by one linear program (scipy's
HiGHS). With a Condorcet winner it puts all mass on it; on a Condorcet cycle A > B > C > A with
equal margins it is uniform.

Uniqueness and the choice we make. With an odd number of complete strict ballots the maximal
lottery is unique (Laffond, Laslier & Le Breton 1997). Otherwise (ties, partial ballots, even
weights) the set of maximal lotteries is a polytope; we return its maximum-entropy element,
which is unique, gives symmetric agents equal mass and puts mass on every agent of the essential
set (the union of all maximal lotteries' supports). Steps: an LP finds a maximal lottery and a
cheap test (strict slack off its support, a one-point solution set on it) certifies the common
unique case; otherwise one more LP over the cone of scaled lotteries finds a lottery supported
on the whole essential set E. On E every maximal lottery satisfies (pᵀM)_e = 0 for e ∈ E, so the
set is an affine slice and the entropy is maximised over its null space (SLSQP). This is also
the max-entropy Nash equilibrium Nash averaging uses (Balduzzi et al. 2018).

Iterated maximal lotteries (Lanctot et al., arXiv 2312.03121) turn lotteries into a full
ranking: the agents in the support of the lottery form the first tier, ordered by probability;
they are removed and the lottery of the rest gives the next tier, and so on. Agents with equal
probability in one tier are tied.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import linprog, minimize

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, competition_ranks, make_ranking, register


def _lp(margins: np.ndarray, objective: np.ndarray) -> np.ndarray | None:
    """max objective·p  s.t.  p ≥ 0, Σp = 1, pᵀM ≥ 0 (HiGHS). None when infeasible."""
    k = margins.shape[0]
    res = linprog(
        -objective,
        A_ub=-margins.T,
        b_ub=np.zeros(k),
        A_eq=np.ones((1, k)),
        b_eq=np.ones(1),
        bounds=[(0, None)] * k,
        method="highs",
    )
    if not res.success:
        return None
    return np.maximum(res.x, 0.0)


def _is_unique(mm: np.ndarray, p: np.ndarray, tol: float) -> bool:
    """Whether p is the only maximal lottery.

    Any two maximal lotteries p, q satisfy (pᵀM)_j = 0 on the support of q. So if every agent off
    p's support S has a strictly positive slack (pᵀM)_j > 0, every maximal lottery lives on S
    and solves M_SSᵀ q = 0, Σq = 1; p is unique when that system has a one-point solution set.
    """
    support = p > tol
    slack = p @ mm
    if np.any(slack[~support] <= tol):
        return False
    sub = mm[np.ix_(support, support)]
    a = np.vstack([sub.T, np.ones((1, int(support.sum())))])
    return bool(null_space(a).shape[1] == 0)


def _relative_interior_lottery(mm: np.ndarray) -> np.ndarray | None:
    """A maximal lottery with the largest support (the essential set), from one LP.

    Maximal lotteries scaled by any factor form the cone {y ≥ 0 : Mᵀy ≥ 0}. Maximising Σ t_i with
    t_i ≤ y_i and 0 ≤ t_i ≤ 1 over that cone sets t_i = 1 exactly on the essential set (scale an
    interior point until every y_i there reaches 1) and y_i = 0 off it; y / Σy is then a maximal
    lottery whose support is the whole essential set.
    """
    k = mm.shape[0]
    zeros = np.zeros((k, k))
    eye = np.eye(k)
    a_ub = np.block([[-mm.T, zeros], [-eye, eye]])  # −Mᵀy ≤ 0 ; t − y ≤ 0
    res = linprog(
        np.concatenate([np.zeros(k), -np.ones(k)]),
        A_ub=a_ub,
        b_ub=np.zeros(2 * k),
        bounds=[(0, None)] * k + [(0, 1)] * k,
        method="highs",
    )
    if not res.success:
        return None
    y, t = np.maximum(res.x[:k], 0.0), res.x[k:]
    y[t < 0.5] = 0.0
    total = y.sum()
    return y / total if total > 0 else None


def essential_lottery(margins: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """A maximal lottery whose support is the essential set (the union of all supports)."""
    m = np.asarray(margins, dtype=np.float64)
    k = m.shape[0]
    if k == 0:
        return np.zeros(0)
    beats_all = np.flatnonzero((m > 0).sum(axis=1) == k - 1)
    if len(beats_all):  # a Condorcet winner is the unique maximal lottery
        p = np.zeros(k)
        p[beats_all[0]] = 1.0
        return p
    scale = max(1.0, float(np.abs(m).max()))
    mm = m / scale
    solved = _lp(mm, np.zeros(k))
    if solved is None:
        raise EvaluationError(
            "maximal lottery: the linear program failed (margins not antisymmetric?)"
        )
    p = solved / solved.sum()
    if not _is_unique(mm, p, tol):
        wide = _relative_interior_lottery(mm)
        if wide is not None and np.all(wide @ mm >= -1e-7):
            p = wide
    p[p <= tol] = 0.0
    return p / p.sum()


def _entropy_negative(p: np.ndarray) -> float:
    q = np.clip(p, 1e-300, None)
    return float(np.sum(q * np.log(q)))


def maximal_lottery(margins: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The maximum-entropy maximal lottery of an antisymmetric margin matrix."""
    m = np.asarray(margins, dtype=np.float64)
    if m.shape[0] and not np.allclose(m, -m.T):
        raise EvaluationError("maximal lottery: the margin matrix must be antisymmetric")
    p = essential_lottery(m, tol)
    support = np.flatnonzero(p > 0)
    if len(support) <= 1:
        return p
    scale = max(1.0, float(np.abs(m).max()))
    sub = m[np.ix_(support, support)] / scale
    a = np.vstack([sub.T, np.ones((1, len(support)))])
    basis = null_space(a)
    if basis.shape[1] == 0:
        return p
    outside = np.setdiff1d(np.arange(m.shape[0]), support)
    cross = m[np.ix_(support, outside)] / scale  # (pᵀM) on agents outside the support must stay ≥ 0
    p0 = p[support]

    def point(z: np.ndarray) -> np.ndarray:
        return p0 + basis @ z

    constraints = [{"type": "ineq", "fun": lambda z: point(z), "jac": lambda z: basis}]
    if len(outside):
        constraints.append(
            {"type": "ineq", "fun": lambda z: cross.T @ point(z), "jac": lambda z: cross.T @ basis}
        )
    res = minimize(
        lambda z: _entropy_negative(point(z)),
        np.zeros(basis.shape[1]),
        jac=lambda z: basis.T @ (np.log(np.clip(point(z), 1e-300, None)) + 1.0),
        constraints=constraints,
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    q = np.clip(point(res.x), 0.0, None) if res.success else p0
    out = np.zeros_like(p)
    out[support] = q / q.sum()
    return out


@register("lottery")
def lottery(profile: Profile) -> Ranking:
    """Agents rated by their probability in the (max-entropy) maximal lottery.

    Agents outside its support all get 0 and tie; use `iterated_lottery` for a full ranking.
    """
    p = maximal_lottery(profile.margins())
    return make_ranking(
        "lottery", profile, p, competition_ranks(p, atol=1e-7, rtol=1e-6), lottery=p
    )


def iterated_lottery_tiers(margins: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Successive (agent indices, probabilities) of the iterated maximal lotteries."""
    m = np.asarray(margins, dtype=np.float64)
    remaining = np.arange(m.shape[0])
    tiers: list[tuple[np.ndarray, np.ndarray]] = []
    while len(remaining):
        p = maximal_lottery(m[np.ix_(remaining, remaining)])
        chosen = p > 0
        if not chosen.any():  # cannot happen for a valid lottery; guard against an endless loop
            chosen[:] = True
        tiers.append((remaining[chosen], p[chosen]))
        remaining = remaining[~chosen]
    return tiers


@register("iterated_lottery")
def iterated_lottery(profile: Profile) -> Ranking:
    """Full ranking by iterated maximal lotteries (tiers = successive supports).

    Rating = probability in the lottery of the agent's own tier; `extra["tier"]` gives the tier
    (0 = first) and `extra["lottery"]` the first maximal lottery over all agents.
    """
    k = profile.n_agents
    tier = np.zeros(k, dtype=np.int64)
    prob = np.zeros(k)
    for t, (members, p) in enumerate(iterated_lottery_tiers(profile.margins())):
        tier[members] = t
        prob[members] = p
    first = np.where(tier == 0, prob, 0.0)
    # order: tier first, then probability (equal within tolerance = tie)
    key = -tier * 10.0 + prob  # probabilities are ≤ 1, so tiers never mix
    ranks = competition_ranks(key, atol=1e-7, rtol=0.0)
    return make_ranking("iterated_lottery", profile, prob, ranks, tier=tier, lottery=first)
