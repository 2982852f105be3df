"""`PlanEnv`: a single-turn Gymnasium environment over a plan (or revision) task.

Observation: the prompt a draft step shows its model (`system`, `prompt`: the goal and, for a
revision, its paper; never the rubric), and the goal alone (`goal`). Action: the plan, as text.
`step` judges it on the rubric items the environment exposes for training (`train_splits`,
default `search`) and returns their weighted score as the reward; the episode then terminates.
The other items stay held out: `evaluate` scores a text on them, for evaluation outside
training, and `info` never holds them. `info`: `score` (None when the judge decided no item),
`failures` (items the judge could not decide), `verdicts` (per exposed item: id, value,
justification, failure; no item's sentence), `judge` (what the step's judge calls cost: calls,
failed calls, tokens in and out, dollars; zeros for the offline judge), `error` when the text
could not be scored.

`rollout_plans` judges a group of answers to the same observation (GRPO's group) and gives
their group-relative advantages. The judge is the offline one unless one is given (any
`airlab.plans.judge.Judge`, e.g. an `LLMJudge` over a chat model). The environment keeps no run
folder and no ledger: each step's `info["judge"]` is the account of its judge calls, and a
trainer sums them (`evaluate`'s calls are counted the same way by wrapping it in
`airlab.plans.llm_judge.judge_spend()`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from airlab.errors import ConfigError
from airlab.gym._deps import gymnasium
from airlab.gym.env import FreeText
from airlab.operators.prompt_library import PACKAGED
from airlab.plans.grading import RubricGrader
from airlab.plans.llm_judge import judge_spend
from airlab.plans.offline import OfflineJudge
from airlab.plans.rubric import ITEM_SPLITS
from airlab.tasks import resolve_task

if TYPE_CHECKING:
    import gymnasium as gym

    from airlab.plans.judge import Judge
else:
    gym = gymnasium()

PLAN_FIELDS = ("system", "prompt", "goal")


class PlanEnv(gym.Env):
    """One plan task; each episode one plan (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's own attribute

    def __init__(
        self,
        task: str,
        *,
        judge: Judge | None = None,
        train_splits: Sequence[str] = ("search",),
    ) -> None:
        loaded = resolve_task(task)
        if not loaded.is_text:
            raise ConfigError(f"task {loaded.name!r} is a code task; PlanEnv takes plan tasks")
        unknown = [s for s in train_splits if s not in ITEM_SPLITS]
        if unknown or not train_splits:
            raise ConfigError(
                f"train_splits: expected some of {', '.join(ITEM_SPLITS)}, got {list(train_splits)}"
            )
        self.task = loaded
        self.train_splits = tuple(train_splits)
        self.held_out = tuple(s for s in ITEM_SPLITS if s not in self.train_splits)
        self.grader = RubricGrader(loaded, judge or OfflineJudge())
        self.observation_space = gym.spaces.Dict({name: FreeText() for name in PLAN_FIELDS})
        self.action_space = FreeText(min_length=0)
        self._observation = plan_observation(loaded)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        super().reset(seed=seed)
        return dict(self._observation), {"train_splits": list(self.train_splits)}

    def step(self, action: str) -> tuple[dict[str, str], float, bool, bool, dict[str, Any]]:
        score, info = self.judge(action)
        return dict(self._observation), float(score or 0.0), True, False, info

    def judge(self, text: str) -> tuple[float | None, dict[str, Any]]:
        """The text's score on the exposed items (the mean over the training splits), and
        what `info` says of it."""
        with judge_spend() as spent:
            grade = self.grader.grade(text, self.train_splits)
        verdicts = [
            v.model_dump(mode="json")
            for split in self.train_splits
            for v in grade.verdicts.get(split, [])
        ]
        score = float(np.mean(list(grade.scores.values()))) if grade.valid else None
        info: dict[str, Any] = {
            "score": score,
            "failures": grade.failures,
            "verdicts": verdicts,
            "judge": spent.as_dict(),
        }
        if not grade.valid:
            info["error"] = grade.reason
        return score, info

    def evaluate(self, text: str) -> dict[str, float | None]:
        """The text's scores on the held-out splits (never a reward; for evaluation only)."""
        if not self.held_out:
            return {}
        grade = self.grader.grade(text, self.held_out)
        return {split: grade.scores.get(split) for split in self.held_out}


def plan_observation(task: Any) -> dict[str, str]:
    """What a draft step of a plan task shows its model: the same templates a run renders."""
    variables = {
        "task": {"name": task.name, "title": task.spec.title, "description": task.description},
        "paper": task.paper_text if task.spec.kind == "revision" else None,
        "revision": task.spec.kind == "revision",
        "memory": "",
        "diversity": False,
    }
    return {
        "system": PACKAGED.render("plan_system.j2"),
        "prompt": PACKAGED.render("plan_draft.j2", **variables),
        "goal": task.description,
    }


@dataclass(frozen=True)
class PlanGroup:
    """K plans answering the same observation, with their rewards."""

    answers: tuple[str, ...]
    rewards: np.ndarray
    infos: tuple[dict[str, Any], ...]

    def advantages(self, eps: float = 1e-6) -> np.ndarray:
        """GRPO's group-relative advantages: (r − mean) / (std + eps)."""
        return (self.rewards - self.rewards.mean()) / (self.rewards.std() + eps)


def rollout_plans(env: PlanEnv, answers: Sequence[str]) -> PlanGroup:
    """Judge a group of answers to the environment's one observation (a GRPO group)."""
    judged = [env.judge(answer) for answer in answers]
    rewards = np.array([score or 0.0 for score, _ in judged], dtype=float)
    return PlanGroup(tuple(answers), rewards, tuple(info for _, info in judged))
