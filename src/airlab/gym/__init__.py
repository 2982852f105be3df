"""Training research agents on airlab: a Gymnasium environment, group rollouts, an ExIt
curriculum. `gymnasium` is an optional extra (`pip install 'airlab[gym]'`), imported only when
an environment is built; rollouts and the curriculum need only numpy."""

from __future__ import annotations

from typing import Any

from airlab.gym.reward import RewardSpec, attempt_reward
from airlab.gym.start import StartKind, StartState

__all__ = ["RewardSpec", "StartKind", "StartState", "attempt_reward", "make"]


def make(task: str, **options: Any) -> Any:
    """An `AirlabEnv` on `task` (see `airlab.gym.env`); one-line error without gymnasium."""
    from airlab.gym.env import make as make_env

    return make_env(task, **options)
