"""Benchmark: rank 1,000 agents over 10,000 synthetic tasks with SCO and Elo; maximal lotteries
over 200 agents.

Every task is a voter ranking all agents by skill + noise (a latent-skill model), so the true
order is known and we report Kendall's tau between each method's ratings and the true skill.
Maximal lotteries are timed on two 200-agent games without a latent skill: an impartial-culture
profile (every ballot a uniformly random order, an odd number of voters, so the lottery is
unique) and i.i.d. Gaussian skew-symmetric margins (no transitive component at all, so the
lottery's support holds about half the agents: the hard case for the LP).

    python benchmarks/ranking.py            # full size (a couple of minutes on 2 cores)
    python benchmarks/ranking.py --quick    # 200 agents × 1,000 tasks, lottery over 50
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from airlab.evaluation import Profile, rank
from airlab.evaluation.ranking.lottery import iterated_lottery_tiers, maximal_lottery
from airlab.evaluation.ranking.sco import AUTO_FULL_BATCH_MAX_AGENTS, AUTO_PAIR_BATCH


def latent_skill_profile(
    n_agents: int, n_tasks: int, noise: float, seed: int
) -> tuple[Profile, np.ndarray]:
    rng = np.random.default_rng(seed)
    skill = rng.normal(size=n_agents)
    utilities = skill[None, :] + noise * rng.normal(size=(n_tasks, n_agents))
    return Profile([f"agent{i:04d}" for i in range(n_agents)], utilities), skill


Row = tuple[str, float, str]


def timed(label: str, rows: list[Row], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run fn, append (label, seconds, '') to rows, return its result."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    rows.append((label, time.perf_counter() - start, ""))
    return out


def note(rows: list[Row], text: str) -> None:
    """Attach a note to the last row."""
    label, seconds, _ = rows[-1]
    rows[-1] = (label, seconds, text)


def lottery_note(p: np.ndarray, margins: np.ndarray) -> str:
    return f"support {int((p > 0).sum())}, min(pᵀM) = {float((p @ margins).min()):.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--agents", type=int, default=None)
    parser.add_argument("--tasks", type=int, default=None)
    parser.add_argument("--lottery-agents", type=int, default=None)
    parser.add_argument("--noise", type=float, default=2.0, help="task noise (skill sd = 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_agents = args.agents or (200 if args.quick else 1000)
    n_tasks = args.tasks or (1000 if args.quick else 10_000)
    n_lottery = args.lottery_agents or (50 if args.quick else 200)

    rows: list[Row] = []
    profile, skill = timed(
        f"generate {n_agents} agents × {n_tasks} tasks",
        rows,
        latent_skill_profile,
        n_agents,
        n_tasks,
        args.noise,
        args.seed,
    )
    timed("pairwise matrix N (tasks as voters)", rows, profile.pairwise)

    def tau(ratings: np.ndarray) -> str:
        return f"Kendall tau vs true skill = {kendalltau(ratings, skill)[0]:.4f}"

    rows.append(("(reference) mean score", 0.0, tau(profile.utilities.mean(axis=0))))
    elo = timed("elo (Bradley–Terry, MM + SQUAREM)", rows, rank, profile, "elo")
    note(rows, f"{tau(elo.ratings)}, {elo.extra['iterations']} MM steps")
    full = n_agents <= AUTO_FULL_BATCH_MAX_AGENTS
    how = "full batch" if full else f"{AUTO_PAIR_BATCH} pairs/step"
    sco = timed(f"sco (sigmoid loss, {how})", rows, rank, profile, "sco")
    note(rows, f"{tau(sco.ratings)}, {sco.extra['iterations']} steps")
    borda = timed("borda", rows, rank, profile, "borda")
    note(rows, tau(borda.ratings))

    rng = np.random.default_rng(args.seed + 1)
    n_voters = 2 * n_lottery + 1
    ic = Profile(
        [f"agent{i:03d}" for i in range(n_lottery)],
        np.argsort(rng.random((n_voters, n_lottery)), axis=1).astype(float),
    )
    margins = timed(f"margins, {n_lottery} agents × {n_voters} random ballots", rows, ic.margins)
    p = timed(f"maximal lottery over {n_lottery} agents (HiGHS)", rows, maximal_lottery, margins)
    note(rows, lottery_note(p, margins))
    tiers = timed(f"iterated lotteries, {n_lottery} agents", rows, iterated_lottery_tiers, margins)
    note(rows, f"{len(tiers)} tiers")

    # i.i.d. Gaussian skew-symmetric margins: no transitive component, support ~ half the agents
    upper = np.triu(rng.normal(size=(n_lottery, n_lottery)), 1)
    game = upper - upper.T
    p = timed(f"maximal lottery, {n_lottery} agents, random game", rows, maximal_lottery, game)
    note(rows, lottery_note(p, game))
    tiers = timed(
        f"iterated lotteries, {n_lottery} agents, random game", rows, iterated_lottery_tiers, game
    )
    note(rows, f"{len(tiers)} tiers")

    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  {'seconds':>8}  notes")
    for label, seconds, text in rows:
        print(f"{label.ljust(width)}  {seconds:8.2f}  {text}")


if __name__ == "__main__":
    main()
