"""Group rollouts: K attempts from one start state at once, over a worker pool.

This is what GRPO-style training and ExIt need: a group of answers to the *same* prompt, each
executed and graded, and their returns compared within the group. The K steps are recorded as
K sibling nodes of one fork before any is written, so every attempt sees the same observation
(no attempt's memory holds another's); their executions then run in parallel on the pool (the
local pool, or any `Pool`, e.g. Ray's).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from airlab.errors import ConfigError
from airlab.gym.attempts import Attempt, run_attempts
from airlab.gym.diversity import Embedder, diversity_bonus
from airlab.gym.observation import messages, observe
from airlab.gym.reward import RewardSpec
from airlab.gym.start import StartState, fork
from airlab.runner.pool import Pool, make_pool

GroupPolicy = Callable[[dict[str, str], int], Sequence[str]]
"""Answers `k` attempts at one observation (e.g. one chat request with `n=k`)."""


@dataclass(frozen=True)
class Group:
    """K graded attempts from one start state."""

    start: StartState
    observation: dict[str, str]
    messages: list[dict[str, str]]
    answers: tuple[str, ...]
    attempts: tuple[Attempt, ...]
    run_dir: Path
    seconds: float

    @property
    def rewards(self) -> np.ndarray:
        return np.array([a.reward for a in self.attempts], dtype=float)

    @property
    def variance(self) -> float:
        """The return variance of the group (ExIt's score of its start state)."""
        return float(self.rewards.var()) if len(self.attempts) > 1 else 0.0

    def advantages(
        self, eps: float = 1e-6, *, diversity: float = 0.0, embed: Embedder | None = None
    ) -> np.ndarray:
        """GRPO's group-relative advantages: (r − mean) / (std + eps); with `diversity` > 0,
        ExIt's multiplicative diversity bonus on top (`gym/diversity.py`: a positive advantage
        × (1 + diversity · its answer's normalised distance from the group's centroid), the
        answers embedded by `embed`, by default a hashed code-token embedding)."""
        rewards = self.rewards
        plain = (rewards - rewards.mean()) / (rewards.std() + eps)
        return diversity_bonus(plain, self.answers, diversity, embed)


DIVERGE = (
    "Self-divergence step: write a solution that takes a substantially different approach from "
    "the one above (another model family, features or method, not a tweak of its settings), "
    "while still aiming to score better."
)
"""What a self-divergence step adds to the prompt (ExIt's "be different" steps)."""


def rollout_group(
    start: StartState,
    policy: GroupPolicy,
    k: int = 8,
    *,
    runs_dir: Path,
    workers: int = 2,
    pool: Pool | str = "local",
    rewards: RewardSpec | None = None,
    diverge: bool = False,
) -> Group:
    """Fork `start`, ask `policy` for `k` answers to its observation, run them on `workers`
    workers of `pool` (a pool name, or a pool you own and shut down), grade and reward them.
    `diverge`: an ExIt self-divergence step, the prompt asking for a different approach
    (`DIVERGE`, appended to the user message and the observation's `user` field)."""
    if k < 1:
        raise ConfigError(f"group size k must be at least 1, got {k}")
    started = time.monotonic()
    # a group answers one prompt k times: single-answer steps, whatever mode the source ran in
    search, step = fork(start, runs_dir, steps=k, operator_options={"mode": "single"})
    tag = " diverge" if diverge else ""
    try:
        proposals = [
            search.add_step(step.operator, step.parent_ids, note=f"gym group {i + 1}/{k}{tag}")
            for i in range(k)
        ]
        observation = observe(search, proposals[0])
        chat = messages(search, proposals[0])
        if diverge:
            observation["user"] = chat[1]["content"] = f"{chat[1]['content']}\n\n{DIVERGE}"
        answers = tuple(policy(observation, k))
        if len(answers) != k:
            raise ConfigError(f"the group policy returned {len(answers)} answers for k={k}")
        own = isinstance(pool, str)
        running = make_pool(pool, workers, search.sandbox) if isinstance(pool, str) else pool
        try:
            attempts = run_attempts(search, proposals, answers, rewards or RewardSpec(), running)
        finally:
            if own:
                running.shutdown()
        return Group(
            start,
            observation,
            chat,
            answers,
            tuple(attempts),
            search.folder.root,
            time.monotonic() - started,
        )
    finally:
        search.journal.close()
