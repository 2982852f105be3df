"""The ExIt curriculum: variance-scored sampling with exploration, growth from groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from airlab.gym.attempts import Attempt
from airlab.gym.exit import ExitCurriculum, ExitParams
from airlab.gym.rollout import Group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Node, NodeStatus
from airlab.testing.chat_run import answer, llm_run


def group(start, rewards, run_dir=Path("/tmp/fork"), first_id=5):
    attempts = tuple(
        Attempt(
            Node(id=first_id + i, operator="improve", status=NodeStatus.GOOD, code=f"x = {i}\n"),
            r,
            {},
        )
        for i, r in enumerate(rewards)
    )
    return Group(start, {}, [], ("",) * len(rewards), attempts, run_dir, 0.0)


def starts(n):
    return [StartState(Path(f"/tmp/run{i}"), 0) for i in range(n)]


def test_unseen_states_come_first_then_high_variance_ones():
    a, b, c = starts(3)
    curriculum = ExitCurriculum([a, b, c], ExitParams(epsilon=0.0, bonus=0.0, grow=False))
    curriculum.update(curriculum.entries[0], group(a, [0.0, 0.0, 0.0]))
    curriculum.update(curriculum.entries[1], group(b, [-1.0, 1.0, 0.0]))
    p = curriculum.probabilities()
    assert p[0] == 0.0 and p[2] > p[1] > 0  # zero variance: never; unseen: most
    curriculum.update(curriculum.entries[2], group(c, [0.1, 0.1, 0.2]))
    p = curriculum.probabilities()
    assert p[1] > p[2] > p[0] == 0.0
    picks = [curriculum.sample() is curriculum.entries[1] for _ in range(200)]
    assert np.mean(picks) > 0.8


def test_exploration_keeps_every_state_reachable():
    a, b = starts(2)
    curriculum = ExitCurriculum([a, b], ExitParams(epsilon=0.2, grow=False))
    curriculum.update(curriculum.entries[0], group(a, [0.0, 0.0]))
    curriculum.update(curriculum.entries[1], group(b, [-1.0, 1.0]))
    assert curriculum.probabilities()[0] >= 0.1
    assert curriculum.probabilities().sum() == pytest.approx(1.0)


def test_groups_add_their_nodes_as_start_states_once():
    [a] = starts(1)
    curriculum = ExitCurriculum([a], ExitParams(max_size=4))
    added = curriculum.update(curriculum.entries[0], group(a, [0.0, 1.0, 0.5]))
    assert [s.node_id for s in added] == [5, 6, 7] and len(curriculum) == 4
    assert all(s.kind == StartKind.CONTINUE for s in added)
    assert curriculum.update(curriculum.entries[0], group(a, [0.0, 1.0, 0.5])) == []
    curriculum.update(curriculum.entries[0], group(a, [1.0, 0.0], first_id=9))
    assert len(curriculum) == 4  # the buffer is bounded


@pytest.mark.slow
def test_a_round_runs_a_group_from_a_real_journal(tmp_path):
    run = llm_run(tmp_path / "runs", steps=1)
    curriculum = ExitCurriculum.from_runs([run], ExitParams(group_size=2))
    assert [e.start.node_id for e in curriculum.entries] == [0]
    entry, grown = curriculum.run_group(
        lambda obs, k: [answer(2.0), answer(3.0)][:k], runs_dir=tmp_path / "gym", workers=2
    )
    assert entry.visits == 1 and entry.variance is not None and len(curriculum) == 3
    assert all(e.start.run_dir == grown.run_dir for e in curriculum.entries[1:])
