"""An ExIt curriculum (Exploratory Iteration, arXiv 2509.04575): a buffer of start states that
grows from the episodes themselves, sampled by how informative each one is.

- Score of a start state: the return variance of its last group of attempts (GRPO-style groups,
  as in ExIt): a state where every attempt scores the same teaches nothing; one where attempts
  differ widely does. A state never tried gets `unseen_score`, so it is tried once.
- Sampling: probability ∝ score + `bonus` · sqrt(log(1 + T) / (1 + visits)) (a count-based
  exploration term, T = groups so far), mixed with a uniform share `epsilon`: the explicit
  exploration that keeps the buffer varied, as ExIt adds to its variance-based selection.
- Growth: the new nodes of each group (those with code) join the buffer as `continue` start
  states (improve a working one, debug a failed one), so single-step self-improvement chains
  into the multi-step iteration ExIt trains for. At `max_size`, the lowest-scored tried states
  leave first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from airlab.gym.reward import RewardSpec
from airlab.gym.rollout import Group, GroupPolicy, rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Journal
from airlab.journal.store import JOURNAL_FILE
from airlab.runner.pool import Pool


class ExitParams(BaseModel):
    """The curriculum's knobs (see the module docstring for what each does)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_size: int = Field(8, ge=2)
    """Attempts per group (ExIt and GRPO use groups of several attempts per prompt)."""
    epsilon: float = Field(0.1, ge=0, le=1)
    """Uniform share of the sampling distribution."""
    bonus: float = Field(0.05, ge=0)
    """Weight of the count-based exploration term."""
    unseen_score: float = Field(1.0, ge=0)
    """Score of a start state never tried (high: new states are tried soon)."""
    max_size: int = Field(2000, ge=1)
    grow: bool = True
    """Add each group's new nodes as start states."""
    grow_failed: bool = True
    """Failed nodes too (as debug steps); False keeps only working ones."""


@dataclass
class Entry:
    """A start state in the buffer and what its groups showed."""

    start: StartState
    variance: float | None = None
    mean: float | None = None
    visits: int = 0


class ExitCurriculum:
    """The buffer and its sampler; `run_group` is one round of sample → rollout → update."""

    def __init__(
        self, starts: Iterable[StartState], params: ExitParams | None = None, seed: int = 0
    ) -> None:
        self.params = params or ExitParams()
        self.entries: list[Entry] = []
        self._known: set[tuple[str, int, str]] = set()
        self.groups = 0
        self.rng = np.random.default_rng(seed)
        for start in starts:
            self.add(start)

    @classmethod
    def from_runs(
        cls, run_dirs: Iterable[Path], params: ExitParams | None = None, seed: int = 0
    ) -> ExitCurriculum:
        """Every finished node with code of these runs, as a `continue` start state."""
        starts = []
        for run_dir in run_dirs:
            with Journal.open(Path(run_dir) / JOURNAL_FILE, read_only=True) as journal:
                starts += [
                    StartState(Path(run_dir), n.id, StartKind.CONTINUE)
                    for n in journal.nodes()
                    if n.status.finished and n.code
                ]
        return cls(starts, params, seed)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, start: StartState) -> bool:
        """Add a start state (once); False when it was already there."""
        key = (str(Path(start.run_dir).resolve()), start.node_id, start.kind.value)
        if key in self._known:
            return False
        self._known.add(key)
        self.entries.append(Entry(start))
        if len(self.entries) > self.params.max_size:
            self._evict()
        return True

    def _evict(self) -> None:
        tried = [e for e in self.entries if e.variance is not None]
        pool = tried or self.entries
        worst = min(pool, key=lambda e: (e.variance or 0.0, -e.visits))
        self.entries.remove(worst)

    def scores(self) -> np.ndarray:
        """Each entry's sampling weight before the uniform mix (see the module docstring)."""
        total = math.log(1 + self.groups)
        return np.array(
            [
                (self.params.unseen_score if e.variance is None else e.variance)
                + self.params.bonus * math.sqrt(total / (1 + e.visits))
                for e in self.entries
            ]
        )

    def probabilities(self) -> np.ndarray:
        scores = self.scores()
        n = len(scores)
        uniform = np.full(n, 1.0 / n)
        if scores.sum() <= 0:
            return uniform
        eps = self.params.epsilon
        return (1 - eps) * scores / scores.sum() + eps * uniform

    def sample(self) -> Entry:
        if not self.entries:
            raise ValueError("the ExIt buffer is empty")
        index = int(self.rng.choice(len(self.entries), p=self.probabilities()))
        return self.entries[index]

    def update(self, entry: Entry, group: Group) -> list[StartState]:
        """Score `entry` by its group's return variance; add the group's nodes as new starts."""
        entry.variance = group.variance
        entry.mean = float(group.rewards.mean())
        entry.visits += 1
        self.groups += 1
        added: list[StartState] = []
        if self.params.grow:
            for attempt in group.attempts:
                node = attempt.node
                if node.code and node.status.finished and (node.is_good or self.params.grow_failed):
                    start = StartState(group.run_dir, attempt.node.id, StartKind.CONTINUE)
                    if self.add(start):
                        added.append(start)
        return added

    def run_group(
        self,
        policy: GroupPolicy,
        *,
        runs_dir: Path,
        workers: int = 2,
        pool: Pool | str = "local",
        rewards: RewardSpec | None = None,
    ) -> tuple[Entry, Group]:
        """One round: sample a start state, roll out a group from it, update the buffer."""
        entry = self.sample()
        group = rollout_group(
            entry.start,
            policy,
            self.params.group_size,
            runs_dir=runs_dir,
            workers=workers,
            pool=pool,
            rewards=rewards,
        )
        self.update(entry, group)
        return entry, group
