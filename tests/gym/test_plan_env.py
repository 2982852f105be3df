"""The single-turn plan environment: gymnasium's checker, rewards from exposed items only."""

from __future__ import annotations

from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

from airlab import gym as airlab_gym
from airlab.errors import ConfigError
from airlab.gym.plan_env import PlanEnv, rollout_plans
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
