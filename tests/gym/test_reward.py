"""Rewards that teach: failure < working but worse < no change < improvement, whatever the
parent, with a failed parent's working fix above a crash."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from airlab.gym.reward import RewardSpec, attempt_reward
from airlab.tasks import resolve_task


@pytest.fixture(scope="module")
def spec():
    return resolve_task("digits").spec


def outcomes(spec, parent_score):
    """Reward of a crash, a much worse working answer, no change, an unchanged copy and a
    better one, measured from `parent_score` (None: the parent failed)."""
    rewards = RewardSpec()
    against = parent_score if parent_score is not None else spec.baseline.score
    sign = 1.0 if spec.maximize else -1.0
    headroom = abs(spec.reference.score - spec.baseline.score)
    worse = against - sign * 3 * headroom  # far worse: clipping must not make it a crash
    better = against + sign * 0.5 * headroom
    return {
        "crash": attempt_reward(spec, parent_score, None, rewards),
        "worse": attempt_reward(spec, parent_score, worse, rewards),
        "same": attempt_reward(spec, parent_score, against, rewards),
        "unchanged": attempt_reward(spec, parent_score, None, rewards, unchanged=True),
        "better": attempt_reward(spec, parent_score, better, rewards),
    }


@pytest.mark.parametrize("parent", ["failed", "working"])
def test_the_four_outcomes_earn_distinct_ordered_rewards(spec, parent):
    parent_score = None if parent == "failed" else spec.baseline.score
    r = outcomes(spec, parent_score)
    assert r["crash"] < r["worse"] < r["same"] < r["better"]
    assert r["unchanged"] == r["same"] == 0.0
    assert r["crash"] >= -1.0 and r["better"] <= 1.0


def test_a_failed_parents_weaker_fix_is_above_the_crash_before_it(spec):
    r = outcomes(spec, None)
    assert r["crash"] == -1.0 and r["worse"] == -0.5


def test_a_floor_at_or_below_the_failure_penalty_is_refused():
    with pytest.raises(ValidationError, match=r"worse_floor \(1.0\) must be below"):
        RewardSpec(worse_floor=1.0)
