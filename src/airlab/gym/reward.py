"""The reward of one attempt: its improvement over its parent, in units of the task's headroom.

`gain = sign · (score − parent_score) / scale`, with `sign` = +1 when the metric is maximised and
−1 when it is minimised, and `scale` = |reference − baseline| from `task.yaml` (the gap between a
plain baseline and a strong known solution), so that rewards are comparable across tasks and
metrics. A draft (no parent) is measured against the task's baseline score. The gain is clipped
to ±`clip`; an attempt that fails (crash, timeout, invalid submission, no code) gets
−`failure_penalty`. Only the hidden `search` split enters the reward. In `mode=react` the turns
before the graded one earn −`turn_cost` each (default 0) and the graded turn its attempt's reward
less `turn_cost`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from airlab.tasks.spec import TaskSpec


class RewardSpec(BaseModel):
    """How attempts are rewarded (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failure_penalty: float = Field(1.0, ge=0)
    """Reward −failure_penalty for an attempt with no valid submission."""
    clip: float = Field(1.0, gt=0)
    """Gains are clipped to [−clip, clip]: one headroom of improvement is the most a step earns."""
    turn_cost: float = Field(0.0, ge=0)
    """`mode=react` only: every turn (one tool call) earns −turn_cost, the graded one included,
    so that a trainer may prefer short episodes; 0 by default (only the result counts)."""


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
    spec: TaskSpec, parent_score: float | None, score: float | None, rewards: RewardSpec
) -> float:
    """The reward of an attempt scoring `score` (None: it failed) from a parent's score."""
    if score is None:
        return -rewards.failure_penalty
    against = reference_score(spec, parent_score)
    if against is None:
        return 0.0
    sign = 1.0 if spec.maximize else -1.0
    gain = sign * (score - against) / reward_scale(spec, parent_score)
    return max(-rewards.clip, min(rewards.clip, gain))
