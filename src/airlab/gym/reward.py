"""The reward of one attempt: its improvement over its parent, in units of the task's headroom.

`gain = sign · (score − parent_score) / scale`, with `sign` = +1 when the metric is maximised and
−1 when it is minimised, and `scale` = |reference − baseline| from `task.yaml` (the gap between a
plain baseline and a strong known solution), so that rewards are comparable across tasks and
metrics. A draft, or a step from a failed parent (which has no score), is measured against the
task's baseline score. Four outcomes earn four kinds of reward, ordered by default:

- a failure (crash, timeout, invalid submission, no code): −`failure_penalty` (−1);
- a working answer scoring worse: the gain, but never below −`worse_floor` (−0.5), so that a
  working but weaker fix of a crash still earns more than the crash;
- no change: 0 (the same score; or the parent's code submitted unchanged, `unchanged_reward`);
- an improvement: the gain, up to `clip` (+1: one headroom is the most a step earns).

Only the hidden `search` split enters the reward. In `mode=react` the turns
before the graded one earn −`turn_cost` each (default 0) and the graded turn its attempt's reward
less `turn_cost`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airlab.tasks.spec import TaskSpec


class RewardSpec(BaseModel):
    """How attempts are rewarded (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failure_penalty: float = Field(1.0, ge=0)
    """Reward −failure_penalty for an attempt with no valid submission."""
    clip: float = Field(1.0, gt=0)
    """Gains are clipped at +clip: one headroom of improvement is the most a step earns."""
    worse_floor: float = Field(0.5, ge=0)
    """A working answer earns at least −worse_floor, however much worse it scores; below
    failure_penalty, so that working always beats failing."""
    unchanged_reward: float = 0.0
    """The reward of submitting the parent's code unchanged (no change: 0 by default; set it
    below 0 if a trainer's policy learns to copy rather than try)."""
    turn_cost: float = Field(0.0, ge=0)
    """`mode=react` only: every turn (one tool call) earns −turn_cost, the graded one included,
    so that a trainer may prefer short episodes; 0 by default (only the result counts)."""

    @model_validator(mode="after")
    def _ordered(self) -> RewardSpec:
        if self.worse_floor >= self.failure_penalty and self.failure_penalty > 0:
            raise ValueError(
                f"rewards: worse_floor ({self.worse_floor}) must be below failure_penalty "
                f"({self.failure_penalty}), or a working answer could earn less than a failure"
            )
        return self


def reward_scale(spec: TaskSpec, parent_score: float | None) -> float:
    """The task's headroom |reference − baseline|; else the parent's magnitude; else 1."""
    if spec.baseline is not None and spec.reference is not None:
        gap = abs(spec.reference.score - spec.baseline.score)
        if gap > 0:
            return gap
    if parent_score is not None and parent_score != 0:
        return abs(parent_score)
    return 1.0


def reference_score(spec: TaskSpec, parent_score: float | None) -> float | None:
    """What an attempt is compared with: its parent's search score, else the task's baseline."""
    if parent_score is not None:
        return parent_score
    return spec.baseline.score if spec.baseline is not None else None


def attempt_reward(
    spec: TaskSpec,
    parent_score: float | None,
    score: float | None,
    rewards: RewardSpec,
    *,
    unchanged: bool = False,
) -> float:
    """The reward of an attempt scoring `score` (None: it failed; `unchanged`: it submitted
    its parent's code as it was) from a parent's score (see the module docstring)."""
    if unchanged:
        return rewards.unchanged_reward
    if score is None:
        return -rewards.failure_penalty
    against = reference_score(spec, parent_score)
    if against is None:
        return 0.0
    sign = 1.0 if spec.maximize else -1.0
    gain = sign * (score - against) / reward_scale(spec, parent_score)
    return max(-rewards.worse_floor, min(rewards.clip, gain))
