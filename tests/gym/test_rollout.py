"""A group of 8 attempts from one start state runs in parallel on 2 workers."""

from __future__ import annotations

import pytest

from airlab.errors import ConfigError
from airlab.gym.rollout import DIVERGE, rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Journal
from airlab.testing.chat_run import answer, llm_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    return llm_run(tmp_path_factory.mktemp("runs"), steps=1)


def test_a_group_of_8_runs_in_parallel_on_2_workers(source_run, tmp_path):
    seen = []

    def policy(observation, k):
        seen.append(observation)
        return [answer(1.0 + 0.5 * i) if i != 3 else "no code" for i in range(k)]

    start = StartState(source_run, 0, StartKind.CONTINUE)
    group = rollout_group(start, policy, 8, runs_dir=tmp_path, workers=2)
    assert len(seen) == 1 and len(group.attempts) == 8
    assert [a.info["status"] for a in group.attempts].count("good") == 7
    assert group.attempts[3].reward == -1.0 and group.variance > 0
    assert abs(float(group.advantages().mean())) < 1e-9
    with Journal.open(group.run_dir / "journal.sqlite", read_only=True) as journal:
        ran = [n for n in journal.nodes() if n.id > 0 and n.exec_seconds is not None]
    assert {n.worker for n in ran} == {"worker-1", "worker-2"}
    assert all(n.parent_ids == (0,) for n in ran)
    overlapping = [
        (a.id, b.id)
        for a in ran
        for b in ran
        if a.id < b.id and a.started_at < b.finished_at and b.started_at < a.finished_at
    ]
    assert overlapping, "no two executions of the group overlapped in time"


def test_group_policy_must_answer_k_times(source_run, tmp_path):
    start = StartState(source_run, 0, StartKind.CONTINUE)
    with pytest.raises(ConfigError, match="returned 1 answers for k=2"):
        rollout_group(start, lambda obs, k: ["x"], 2, runs_dir=tmp_path)


def test_a_self_divergence_group_asks_for_a_different_approach(source_run, tmp_path):
    seen = []

    def policy(observation, k):
        seen.append(observation["user"])
        return [answer(2.0)] * k

    start = StartState(source_run, 0, StartKind.CONTINUE)
    group = rollout_group(start, policy, 2, runs_dir=tmp_path, diverge=True)
    assert seen[0].endswith(DIVERGE) and group.messages[1]["content"] == seen[0]
    with Journal.open(group.run_dir / "journal.sqlite", read_only=True) as journal:
        assert all("diverge" in journal.get(a.node.id).note for a in group.attempts)
