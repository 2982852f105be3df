"""The async batch API: many environments' actions submitted at once, their candidates run in
parallel on one pool, each step's result polled as the env's own `step` would give it."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium")

from airlab.errors import ConfigError
from airlab.gym import make
from airlab.gym.batch import StepBatch
from airlab.testing.chat_run import SOLUTION, answer

pytestmark = pytest.mark.slow
SLEEPY = "import time\ntime.sleep({s})\n" + SOLUTION


def reply(code: str) -> str:
    return f"Plan: logistic regression.\n```python\n{code}```\n"


def test_submit_returns_at_once_and_poll_gives_each_step(tmp_path):
    envs = [
        make("digits", operator="draft", max_steps=1, runs_dir=tmp_path / str(i)) for i in range(3)
    ]
    for env in envs:
        env.reset()
    actions = [reply(SLEEPY.format(s=2, c=0.5)), reply(SLEEPY.format(s=2, c=1.0)), "no code"]
    with StepBatch(workers=2) as batch:
        tickets = [batch.submit(env, a) for env, a in zip(envs, actions, strict=True)]
        assert batch.pending == tickets
        with pytest.raises(ConfigError, match="still running"):
            envs[0].step(actions[0])
        first = batch.poll()  # the answer without code needs no execution: ready at once
        assert tickets[2] in first and first[tickets[2]][1] == -1.0
        rest = first | batch.wait()
        assert sorted(rest) == tickets and batch.pending == [] and batch.poll() == {}
    for ticket in tickets[:2]:
        _, reward, terminated, truncated, info = rest[ticket]
        assert info["status"] == "good" and truncated and not terminated and reward > -1
        assert "select_score" not in info
    runs = [envs[i].search.journal.get(rest[tickets[i]][4]["node_id"]) for i in range(2)]
    assert {n.worker for n in runs} == {"worker-1", "worker-2"}
    a, b = runs  # the two candidates ran at the same time
    assert a.started_at < b.finished_at and b.started_at < a.finished_at
    for env in envs:
        env.close()


def test_a_batch_step_equals_the_blocking_step(tmp_path):
    code = answer(0.5)
    blocking = make("digits", operator="draft", max_steps=1, runs_dir=tmp_path / "a")
    batched = make("digits", operator="draft", max_steps=1, runs_dir=tmp_path / "b")
    blocking.reset()
    batched.reset()
    _, r1, _, t1, i1 = blocking.step(code)
    with StepBatch(workers=1) as batch:
        [(_, r2, _, t2, i2)] = batch.wait([batch.submit(batched, code)]).values()
    assert (r1, t1, i1["status"], i1["search_score"]) == (r2, t2, i2["status"], i2["search_score"])
    with pytest.raises(ConfigError, match="no pending tickets"):
        StepBatch().wait([7])
    blocking.close()
    batched.close()
