"""Nash averaging (Balduzzi, Tuyls, Perolat & Graepel, "Re-evaluating evaluation", NeurIPS 2018).

An agent is rated by its expected payoff against the maximum-entropy Nash equilibrium of an
evaluation game, so redundant copies of easy tasks or weak agents do not tilt the result.

- `game="agent"` (default): agent-vs-agent. The symmetric zero-sum game with payoff the
  per-voter margin matrix M / W; its max-entropy equilibrium p is our max-entropy maximal
  lottery. Rating_a = (M p)_a / W ≤ 0, with 0 exactly for the agents in the equilibrium's
  support ("the Nash average"); agents off the support rank by how badly the equilibrium mix
  beats them.
- `game="task"`: agent-vs-task (the paper's appendix D). S[a, t] is agent a's standing on task
  t: its percentile among the agents that task ranked (0 worst … 1 best, ties averaged) minus ½,
  and 0 when the task did not rank it. The agent player maximises S, the task player minimises
  it. We subtract the game's value v (one LP) so that the antisymmetric game
  [[0, S − v], [−(S − v)ᵀ, 0]] has both players' optimal strategies in its equilibria, and take
  its max-entropy equilibrium (p_agents, p_tasks), as in the paper's construction. Rating_a =
  (S p_tasks)_a, an agent's standing against the mix of tasks the equilibrium finds hardest;
  `extra["task_weights"]` holds p_tasks. Nash averaging is invariant to duplicated tasks, so
  voter weights only select tasks (weight 0 = left out, as in a bootstrap replicate). The game
  has agents + tasks strategies: use it for up to a few hundred of each.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.optimize import linprog

from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking.base import Ranking, competition_ranks, make_ranking, register
from airlab.evaluation.ranking.lottery import maximal_lottery


def game_value(payoff: np.ndarray) -> float:
    """Value max_x min_y xᵀSy of the zero-sum game where the row player maximises S (HiGHS)."""
    s = np.asarray(payoff, dtype=np.float64)
    k, n = s.shape
    c = np.zeros(k + 1)
    c[-1] = -1.0  # maximise v
    a_ub = np.hstack([-s.T, np.ones((n, 1))])  # v − (xᵀS)_t ≤ 0 for every task t
    a_eq = np.hstack([np.ones((1, k)), np.zeros((1, 1))])
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(n),
        A_eq=a_eq,
        b_eq=np.ones(1),
        bounds=[(0, None)] * k + [(None, None)],
        method="highs",
    )
    if not res.success:
        raise EvaluationError("nash: the game-value linear program failed")
    return float(res.x[-1])


def task_standing(profile: Profile) -> np.ndarray:
    """S (agents × tasks): each agent's percentile on each task, centred (−½ … ½; 0: unranked)."""
    u = profile.utilities
    s = np.zeros((profile.n_agents, profile.n_voters))
    for v, row in enumerate(u):
        ok = np.flatnonzero(~np.isnan(row))
        if len(ok) < 2:
            continue
        vals = row[ok]
        below = (vals[:, None] > vals[None, :]).sum(axis=1)
        equal = (vals[:, None] == vals[None, :]).sum(axis=1) - 1
        s[ok, v] = (below + 0.5 * equal) / (len(ok) - 1) - 0.5
    return s


@register("nash")
def nash(profile: Profile, game: Literal["agent", "task"] = "agent") -> Ranking:
    """Nash averaging rating (see the module docstring for the two games)."""
    k = profile.n_agents
    if game == "agent":
        w = max(profile.total_weight, 1e-300)
        margins = profile.margins() / w
        p = maximal_lottery(margins)
        rating = margins @ p
        rating[np.abs(rating) < 1e-9] = 0.0
        return make_ranking(
            "nash", profile, rating, competition_ranks(rating, atol=1e-9, rtol=1e-7), equilibrium=p
        )
    if game == "task":
        keep = profile.weights > 0
        s = task_standing(profile)[:, keep]
        tasks = [t for t, ok in zip(profile.voters, keep, strict=True) if ok]
        n_tasks = s.shape[1]
        if n_tasks == 0:
            return make_ranking("nash", profile, np.zeros(k))
        value = game_value(s)
        shifted = s - value  # a zero-value game: its symmetrisation has both players' optima
        a = np.zeros((k + n_tasks, k + n_tasks))
        a[:k, k:] = shifted
        a[k:, :k] = -shifted.T
        eq = maximal_lottery(a)
        p_agents, p_tasks = eq[:k], eq[k:]
        p_agents = p_agents / p_agents.sum() if p_agents.sum() > 0 else p_agents
        p_tasks = p_tasks / p_tasks.sum() if p_tasks.sum() > 0 else np.full(n_tasks, 1 / n_tasks)
        rating = s @ p_tasks
        return make_ranking(
            "nash",
            profile,
            rating,
            competition_ranks(rating, atol=1e-9, rtol=1e-7),
            equilibrium=p_agents,
            value=value,
            task_weights=dict(zip(tasks, p_tasks, strict=True)),
        )
    raise EvaluationError(f"nash game must be agent or task, got {game!r}")
