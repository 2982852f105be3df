"""An ExIt curriculum (Exploratory Iteration, Jiang, Lupu & Bachrach, arXiv 2509.04575): start
states (partial histories) that grow from the episodes themselves, replayed by how much a group
of attempts from them can teach.

What ExIt describes, and the option that implements it here:

- Learnability: a partial history is prioritised by the GRPO group return variance it led to.
  Here `learnability` = the variance of the group's returns after normalising them to [0, 1]
  with the reward range (`reward_low`, `reward_high`; default [−1, 1], the env's rewards): a
  group of equal returns (all crashes, all the same score) scores 0; an even split of the
  extremes scores the most, 0.25.
- Rank-based prioritisation (as in prioritized level replay): the buffer is sampled with
  P(i) ∝ (1 / rank(i))^(1/β), rank 1 the most learnable; β = `temperature`.
- Base tasks: with probability `base_prob` an episode starts from a base task (the start states
  the curriculum was made with), chosen uniformly, instead of from the buffer.
- A bounded buffer (`max_size`) that keeps the most learnable states: past it, the state with
  the lowest score leaves (ties: the most visited first, then the oldest). Base tasks are kept
  apart and never leave.
- Growth: each group's new nodes (with code; failed ones too unless `grow_failed` is false) join
  the buffer as `continue` start states (improve a working node, debug a failed one), so
  single-step iterations chain into multi-step self-improvement.
- Self-divergence: with probability `divergence_prob` a step from a buffer state asks for a
  solution substantially different from the previous one (`rollout.DIVERGE`).
- Diversity bonus: `diversity` weights the multiplicative bonus on advantages
  (`Group.advantages(diversity=...)`, `gym/diversity.py`); `run_group` returns plain groups
  and the trainer applies it (the default embedding is a hashed code-token one, no model).
- Saving: `save(path)` / `ExitCurriculum.load(path)` keep the buffer, the base tasks, the
  counters and the random generator's state, so a resumed run samples exactly as the
  uninterrupted one would; `run_group(checkpoint=path)` saves after every group.

Checked against the paper's abstract and overview figure: partial histories prioritised by GRPO
group return variance, self-divergence steps, the multiplicative diversity bonus from embedding
distance to the group centroid. The rank form, the base-task probability and the bounded buffer
follow the prioritized-level-replay machinery ExIt builds on; their exact values in the paper
were not checked here (the defaults are ours).

Where the paper is silent (our choices): a new state's score before it is tried is its parent
group's learnability × `prior_weight` (0.5: a measured state outranks an unmeasured one of the
same origin; new states from uninformative groups start at 0 and leave first); a state's score
is its latest group's learnability (the policy changes, older groups say less); a base task is
scored too but only for reporting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from airlab.errors import ConfigError
from airlab.gym.reward import RewardSpec
from airlab.gym.rollout import Group, GroupPolicy, rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Journal
from airlab.journal.store import JOURNAL_FILE
from airlab.runner.pool import Pool

STATE_VERSION = 1


class ExitParams(BaseModel):
    """The curriculum's knobs (see the module docstring for what each does and its source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_size: int = Field(8, ge=2)
    """Attempts per group (ExIt and GRPO use groups of several attempts per prompt)."""
    base_prob: float = Field(0.2, ge=0, le=1)
    """Probability of starting from a base task instead of a buffer state."""
    temperature: float = Field(1.0, gt=0)
    """β of the rank prioritisation P(i) ∝ (1/rank)^(1/β); smaller is greedier."""
    max_size: int = Field(256, ge=1)
    """Buffer states kept (base tasks not counted); the least learnable leave first."""
    divergence_prob: float = Field(0.0, ge=0, le=1)
    """Probability that a step from a buffer state is a self-divergence step."""
    diversity: float = Field(0.0, ge=0)
    """Weight of the multiplicative diversity bonus a trainer applies to advantages."""
    prior_weight: float = Field(0.5, ge=0, le=1)
    """An untried state's score: its parent group's learnability × prior_weight."""
    reward_low: float = -1.0
    reward_high: float = 1.0
    """The reward range that normalises returns to [0, 1] for the learnability."""
    grow: bool = True
    """Add each group's new nodes as start states."""
    grow_failed: bool = True
    """Failed nodes too (as debug steps); False keeps only working ones."""

    @model_validator(mode="after")
    def _range(self) -> ExitParams:
        if self.reward_high <= self.reward_low:
            raise ValueError(
                f"reward_high ({self.reward_high}) must exceed reward_low ({self.reward_low})"
            )
        return self


@dataclass
class Entry:
    """A start state and what is known of it: `learnability` is None until one of its own
    groups measured it; `prior` is the estimate it joined with (its parent group's)."""

    start: StartState
    learnability: float | None = None
    prior: float = 0.0
    mean: float | None = None
    visits: int = 0
    order: int = 0
    base: bool = False

    @property
    def measured(self) -> bool:
        return self.learnability is not None

    @property
    def score(self) -> float:
        return self.prior if self.learnability is None else self.learnability

    def to_json(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.start.run_dir),
            "node_id": self.start.node_id,
            "kind": self.start.kind.value,
            "learnability": self.learnability,
            "prior": self.prior,
            "mean": self.mean,
            "visits": self.visits,
            "order": self.order,
            "base": self.base,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        start = StartState(Path(data["run_dir"]), int(data["node_id"]), StartKind(data["kind"]))
        return cls(
            start,
            data["learnability"],
            float(data["prior"]),
            data["mean"],
            int(data["visits"]),
            int(data["order"]),
            bool(data["base"]),
        )


def learnability(rewards: np.ndarray, low: float = -1.0, high: float = 1.0) -> float:
    """The variance of the returns normalised to [0, 1] by the reward range [low, high]."""
    values = np.clip((np.asarray(rewards, dtype=float) - low) / (high - low), 0.0, 1.0)
    return float(values.var()) if len(values) > 1 else 0.0


def rank_probabilities(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """P(i) ∝ (1/rank(i))^(1/temperature), rank 1 the highest score (ties: the earlier)."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    weights = (1.0 / ranks) ** (1.0 / temperature)
    return weights / weights.sum()


Rollout = Callable[[StartState, bool], Group]
"""(start, diverge) → a graded group; `run_group` builds it from a policy, tests inject one."""


class ExitCurriculum:
    """Base tasks, the buffer and its sampler; `run_group` is one round of sample → rollout →
    update (see the module docstring)."""

    def __init__(
        self, starts: Iterable[StartState], params: ExitParams | None = None, seed: int = 0
    ) -> None:
        self.params = params or ExitParams()
        self.base: list[Entry] = []
        self.entries: list[Entry] = []
        self._known: set[tuple[str, int, str]] = set()
        self.groups = 0
        self._added = 0
        self.rng = np.random.default_rng(seed)
        for start in starts:
            if self._claim(start):
                self.base.append(Entry(start, order=self._next(), base=True))

    @classmethod
    def from_runs(
        cls, run_dirs: Iterable[Path], params: ExitParams | None = None, seed: int = 0
    ) -> ExitCurriculum:
        """Every finished node with code of these runs, as a `continue` base task."""
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
        """Buffer states (base tasks not counted)."""
        return len(self.entries)

    def _next(self) -> int:
        self._added += 1
        return self._added

    def _claim(self, start: StartState) -> bool:
        key = (str(Path(start.run_dir).resolve()), start.node_id, start.kind.value)
        if key in self._known:
            return False
        self._known.add(key)
        return True

    def add(self, start: StartState, prior: float = 0.0) -> bool:
        """Add a start state to the buffer (once); False when it was already known."""
        if not self._claim(start):
            return False
        self.entries.append(Entry(start, prior=prior, order=self._next()))
        while len(self.entries) > self.params.max_size:
            self._evict()
        return True

    def _evict(self) -> None:
        """The least learnable state leaves; ties: the most visited, then the oldest."""
        worst = min(self.entries, key=lambda e: (e.score, -e.visits, e.order))
        self.entries.remove(worst)

    def probabilities(self) -> np.ndarray:
        """Each buffer state's probability of being sampled when the buffer is chosen."""
        if not self.entries:
            return np.zeros(0)
        scores = np.array([e.score for e in self.entries])
        return rank_probabilities(scores, self.params.temperature)

    def sample(self) -> Entry:
        """A base task with probability `base_prob` (always while the buffer is empty), else a
        buffer state by rank."""
        if not self.base and not self.entries:
            raise ConfigError("the ExIt curriculum has no start states")
        if self.base and (not self.entries or self.rng.random() < self.params.base_prob):
            return self.base[int(self.rng.integers(len(self.base)))]
        return self.entries[int(self.rng.choice(len(self.entries), p=self.probabilities()))]

    def diverges(self, entry: Entry) -> bool:
        """Whether a step from `entry` is a self-divergence step (buffer states only)."""
        return not entry.base and bool(self.rng.random() < self.params.divergence_prob)

    def update(self, entry: Entry, group: Group) -> list[StartState]:
        """Measure `entry` by its group's learnability; add the group's new nodes to the buffer,
        each with the group's learnability × `prior_weight` as its prior."""
        p = self.params
        entry.learnability = learnability(group.rewards, p.reward_low, p.reward_high)
        entry.mean = float(group.rewards.mean())
        entry.visits += 1
        self.groups += 1
        added: list[StartState] = []
        if p.grow:
            prior = entry.learnability * p.prior_weight
            for attempt in group.attempts:
                node = attempt.node
                if node.code and node.status.finished and (node.is_good or p.grow_failed):
                    start = StartState(group.run_dir, node.id, StartKind.CONTINUE)
                    if self.add(start, prior):
                        added.append(start)
        return added

    def step(self, rollout: Rollout, checkpoint: Path | None = None) -> tuple[Entry, Group]:
        """One round with any rollout function: sample, roll out, update (and save)."""
        entry = self.sample()
        group = rollout(entry.start, self.diverges(entry))
        self.update(entry, group)
        if checkpoint is not None:
            self.save(checkpoint)
        return entry, group

    def run_group(
        self,
        policy: GroupPolicy,
        *,
        runs_dir: Path,
        workers: int = 2,
        pool: Pool | str = "local",
        rewards: RewardSpec | None = None,
        checkpoint: Path | None = None,
    ) -> tuple[Entry, Group]:
        """One round: sample a start state, roll out a group from it, update the buffer; with
        `checkpoint`, save the curriculum there after the update."""

        def rollout(start: StartState, diverge: bool) -> Group:
            return rollout_group(
                start,
                policy,
                self.params.group_size,
                runs_dir=runs_dir,
                workers=workers,
                pool=pool,
                rewards=rewards,
                diverge=diverge,
            )

        return self.step(rollout, checkpoint)

    # ---- saving and resuming ---------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "params": self.params.model_dump(),
            "groups": self.groups,
            "added": self._added,
            "rng": self.rng.bit_generator.state,
            "base": [e.to_json() for e in self.base],
            "entries": [e.to_json() for e in self.entries],
            "known": sorted([list(k) for k in self._known]),
        }

    def save(self, path: Path) -> None:
        """Write the curriculum's whole state as JSON (atomically: a crash keeps the last)."""
        path = Path(path)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(self.state()), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> ExitCurriculum:
        """A curriculum saved by `save`, ready to sample exactly where it stopped."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a readable ExIt curriculum ({exc})") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ConfigError(f"{path}: not an ExIt curriculum of version {STATE_VERSION}")
        curriculum = cls([], ExitParams.model_validate(data["params"]))
        curriculum.groups = int(data["groups"])
        curriculum._added = int(data["added"])
        curriculum.rng.bit_generator.state = data["rng"]
        curriculum.base = [Entry.from_json(e) for e in data["base"]]
        curriculum.entries = [Entry.from_json(e) for e in data["entries"]]
        curriculum._known = {(str(k[0]), int(k[1]), str(k[2])) for k in data["known"]}
        return curriculum
