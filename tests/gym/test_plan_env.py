"""The single-turn plan environment: gymnasium's checker, rewards from exposed items only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

from airlab import gym as airlab_gym
from airlab.backends.base import ChatModel, Completion, Usage
from airlab.errors import BackendError, ConfigError
from airlab.gym.plan_env import PlanEnv, rollout_plans
from airlab.plans.llm_judge import LLMJudge
from airlab.tasks.task import load_task

PLAN_TASK = str(Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny")


def test_check_env_passes():
    env = airlab_gym.make(PLAN_TASK)
    assert isinstance(env, PlanEnv)
    check_env(env, skip_render_check=True)


def test_an_episode_is_one_judged_plan_and_hides_the_rubric():
    task = load_task(PLAN_TASK)
    env = PlanEnv(PLAN_TASK)
    observation, _ = env.reset(seed=0)
    for item in (leaf.text for leaf in task.rubric.leaves()):
        assert all(item not in text for text in observation.values())
    plan = task.reference_text or ""
    _, reward, terminated, truncated, info = env.step(plan)
    assert terminated and not truncated
    assert (
        reward
        == info["score"]
        == pytest.approx(env.grader.grade(plan, ["search"]).scores["search"])
    )
    assert [v["item_id"] for v in info["verdicts"]] == task.item_split.search
    assert set(env.evaluate(plan)) == {"select", "test"}
    _, empty, _, _, info = env.step("")
    assert empty == 0.0 and info["score"] is None and info["error"]


def test_group_rollout_gives_group_relative_advantages():
    task = load_task(PLAN_TASK)
    env = PlanEnv(PLAN_TASK, train_splits=("search", "select"))
    group = rollout_plans(env, [task.reference_text or "", "nothing", task.description])
    assert group.rewards.shape == (3,)
    assert group.advantages().mean() == pytest.approx(0.0, abs=1e-9)
    assert group.rewards[0] > group.rewards[1]


def test_a_code_task_or_bad_split_is_refused(make_task):
    with pytest.raises(ConfigError, match="code task"):
        PlanEnv(str(make_task()))
    with pytest.raises(ConfigError, match="train_splits"):
        PlanEnv(PLAN_TASK, train_splits=("train",))


class CountedJudgeChat(ChatModel):
    """A judge model whose answers cost known amounts: first a non-fatal failure, then an
    answer that does not parse, then every asked item satisfied."""

    name = "counted-judge"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages, *, purpose="", tools=None):  # type: ignore[override]
        self.calls += 1
        if self.calls == 1:
            raise BackendError("503 overloaded", fatal=False)
        if self.calls == 2:
            return Completion("I think it is fine.", usage=Usage(tokens_in=90, tokens_out=5))
        ids = re.findall(r"^- \[([^\]]+)\]", messages[1].content, flags=re.M)  # the items asked
        answer = {"verdicts": [{"id": i, "satisfied": True, "justification": "ok"} for i in ids]}
        return Completion(
            json.dumps(answer), usage=Usage(tokens_in=100, tokens_out=20, cost_usd=0.002)
        )


def test_each_step_says_what_its_judge_calls_cost():
    """No ledger outside a run: a trainer stepping the env with a model judge reads every call's
    cost from info, the failed and the unparsable ones included; the offline judge costs 0."""
    task = load_task(PLAN_TASK)
    plan = task.reference_text or ""
    chat = CountedJudgeChat()
    env = PlanEnv(PLAN_TASK, judge=LLMJudge(chat, retries=3))
    _, reward, _, _, info = env.step(plan)
    assert reward == 1.0 and chat.calls == 3  # the first call failed, the second did not parse
    assert info["judge"] == {
        "calls": 3,
        "failed_calls": 1,
        "tokens_in": 190,
        "tokens_out": 25,
        "cost_usd": pytest.approx(0.002),
    }
    _, _, _, _, info = PlanEnv(PLAN_TASK).step(plan)
    assert info["judge"]["calls"] == 0 and info["judge"]["cost_usd"] == 0.0
