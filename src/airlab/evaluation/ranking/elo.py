"""Elo in batch form: Bradley–Terry strengths fitted by Hunter's MM algorithm.

Each voter's ballot is read as games between every pair it ranked: a win for the agent above, a
half win to each side for a tie. Bradley–Terry models P(a beats b) = γ_a / (γ_a + γ_b); the Elo
rating is 400 · log10(γ) (so a 400-point gap means 10:1 odds), shifted so the mean rating is
`anchor`. Hunter's minorise–maximise update (Ann. Statist. 32, 2004) is

    γ_a ← W_a / Σ_b n_ab / (γ_a + γ_b),

with W_a the wins of a and n_ab the games between a and b. The maximum-likelihood estimate is
infinite for an agent that never lost or never won; `prior` adds that many wins and as many
losses for every agent against a virtual opponent of strength 1 (a symmetric pseudo-count that
keeps every rating finite and shrinks agents with few games toward the middle). Set prior=0 for
the plain MLE when the comparison graph is strongly connected.

Batch BT is not Condorcet-consistent: with 2 ballots A>B>C and 3 ballots C>A>B it ranks A first
(7 wins of 10) although C beats both A and B head-to-head (3:2); see `sco` for a rating that
respects Condorcet winners.
"""

from __future__ import annotations

import numpy as np

from airlab.evaluation.profile import Profile, replicate_pairwise
from airlab.evaluation.ranking.base import Ranking, make_ranking, register


def _log_likelihood(log_gamma: np.ndarray, wins: np.ndarray, prior: float) -> np.ndarray:
    """Bradley–Terry log-likelihood (with the virtual-opponent prior), per problem of a stack."""
    pair = np.logaddexp(log_gamma[..., :, None], log_gamma[..., None, :])
    ll = (wins * (log_gamma[..., :, None] - pair)).sum(axis=(-1, -2))
    if prior > 0:
        vs_virtual = np.logaddexp(log_gamma, 0.0)
        ll = ll + prior * (log_gamma - 2.0 * vs_virtual).sum(axis=-1)
    return ll


def bradley_terry(
    wins: np.ndarray,
    *,
    prior: float = 0.5,
    tol: float = 1e-8,
    max_iter: int = 100_000,
) -> tuple[np.ndarray, int]:
    """Bradley–Terry strengths γ (geometric mean 1) from wins[a, b] (a over b).

    Hunter's MM update, accelerated with SQUAREM (Varadhan & Roland 2008): two MM steps give a
    direction, an extrapolated point is mapped once more by MM and kept only if it does not lower
    the likelihood. It converges to the same fixed point as plain MM, in far fewer iterations
    when strengths are well separated. Accepts one matrix (m × m) or a stack (B × m × m) fitted
    together (the bootstrap's form). `iterations` counts MM evaluations.
    """
    w = np.asarray(wins, dtype=np.float64).copy()
    m = w.shape[-1]
    idx = np.arange(m)
    w[..., idx, idx] = 0.0
    games = w + np.swapaxes(w, -1, -2)
    won = w.sum(axis=-1) + prior

    def mm(lg: np.ndarray) -> np.ndarray:
        gamma = np.exp(lg)
        denom = (games / (gamma[..., :, None] + gamma[..., None, :])).sum(axis=-1)
        if prior > 0:
            denom = denom + 2.0 * prior / (gamma + 1.0)
        safe = np.log(np.maximum(won, 1e-300)) - np.log(np.maximum(denom, 1e-300))
        new = np.where(denom > 0, safe, lg)
        if prior <= 0:
            new = new - new.mean(axis=-1, keepdims=True)
        return new

    log_gamma = np.zeros(w.shape[:-1])
    evaluations = 0
    while evaluations < max_iter and m > 0:
        l1 = mm(log_gamma)
        l2 = mm(l1)
        evaluations += 2
        r = l1 - log_gamma
        v = l2 - l1 - r
        r_norm = np.sqrt((r * r).sum(axis=-1, keepdims=True))
        v_norm = np.sqrt((v * v).sum(axis=-1, keepdims=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(v_norm > 0, -r_norm / v_norm, -1.0)
        alpha = np.minimum(alpha, -1.0)
        jump = mm(log_gamma - 2.0 * alpha * r + alpha * alpha * v)
        evaluations += 1
        ok = np.isfinite(jump).all(axis=-1) & (
            _log_likelihood(jump, w, prior) >= _log_likelihood(l2, w, prior)
        )
        new = np.where(ok[..., None], jump, l2)
        step = float(np.max(np.abs(new - log_gamma)))
        log_gamma = new
        if step < tol:
            break
    log_gamma = log_gamma - log_gamma.mean(axis=-1, keepdims=True) if m else log_gamma
    return np.exp(log_gamma), evaluations


@register("elo")
def elo(
    profile: Profile,
    prior: float = 0.5,
    anchor: float = 1000.0,
    tol: float = 1e-8,
    max_iter: int = 100_000,
) -> Ranking:
    """Batch Elo: Bradley–Terry by MM on pairwise wins (ties are half wins), 400·log10 scale."""
    wins = profile.pairwise() + 0.5 * profile.ties()
    gamma, iterations = bradley_terry(wins, prior=prior, tol=tol, max_iter=max_iter)
    rating = 400.0 * np.log10(gamma)
    rating = rating - rating.mean() + anchor if len(rating) else rating
    return make_ranking("elo", profile, rating, gamma=gamma, iterations=iterations)


def _elo_replicates(
    profile: Profile,
    weight_matrix: np.ndarray,
    prior: float = 0.5,
    anchor: float = 1000.0,
    tol: float = 1e-8,
    max_iter: int = 100_000,
) -> np.ndarray:
    """Elo ratings for many voter weightings at once (bootstrap)."""
    n = replicate_pairwise(profile.utilities, weight_matrix)
    mask = profile.ranked_mask().astype(np.float64)
    both = np.einsum("bv,vi,vj->bij", weight_matrix, mask, mask)
    ties = np.maximum(both - n - np.swapaxes(n, -1, -2), 0.0)
    idx = np.arange(profile.n_agents)
    ties[:, idx, idx] = 0.0
    gamma, _ = bradley_terry(n + 0.5 * ties, prior=prior, tol=tol, max_iter=max_iter)
    rating = 400.0 * np.log10(gamma)
    return rating - rating.mean(axis=-1, keepdims=True) + anchor


elo.replicates = _elo_replicates  # type: ignore[attr-defined]
