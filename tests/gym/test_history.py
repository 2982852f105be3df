"""A fork's history does not depend on the order in which siblings were recorded."""

from __future__ import annotations

import time

import pytest

from airlab.gym import make
from airlab.gym.attempts import GYM_META
from airlab.gym.start import StartKind, StartState, fork
from airlab.journal import Journal, NodeStatus

CODES = ("a = 1\n", "b = 2\n", "c = 3\n")


def run_with_siblings(tmp_path, order, grouped):
    """A run: a good draft (node 0), then three improve siblings of it recorded in `order`
    at once (as a group is) and finished afterwards; `grouped` marks them as a gym group."""
    env = make("digits", operator="draft", max_steps=1, runs_dir=tmp_path)
    env.reset()
    journal = env.search.journal
    journal.update(
        0, status=NodeStatus.GOOD, code="base = 0\n", search_score=0.9, finished_at=time.time()
    )
    ids = [journal.add("improve", (0,), note="sibling").id for _ in order]
    time.sleep(0.01)
    for node_id, code in zip(ids, order, strict=True):
        meta = {GYM_META: {"seen_before": ids[0]}} if grouped else {}
        journal.update(
            node_id,
            status=NodeStatus.GOOD,
            code=code,
            meta=meta,
            search_score=0.9 + len(code) / 100,
            finished_at=time.time(),
        )
    run_dir = env.run_dir
    env.close()
    return run_dir, dict(zip(order, ids, strict=True))


def history(run_dir, node_id, kind, tmp_path):
    search, step = fork(StartState(run_dir, node_id, kind), tmp_path / "forks", steps=1)
    try:
        nodes = [
            (n.id, n.operator, n.parent_ids, n.code, n.status.value) for n in search.journal.nodes()
        ]
    finally:
        search.journal.close()
    return nodes, step


@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("kind", [StartKind.CONTINUE, StartKind.REPLAY])
def test_history_is_the_same_whatever_the_sibling_order(tmp_path, grouped, kind):
    forward, ids_forward = run_with_siblings(tmp_path / "f", CODES, grouped)
    backward, ids_backward = run_with_siblings(tmp_path / "b", CODES[::-1], grouped)
    for code in CODES:
        seen_forward = history(forward, ids_forward[code], kind, tmp_path / "f")
        seen_backward = history(backward, ids_backward[code], kind, tmp_path / "b")
        assert seen_forward == seen_backward
        nodes, step = seen_forward
        codes = [n[3] for n in nodes]
        assert not set(codes) & (set(CODES) - {code})  # no sibling in the history
        if kind == StartKind.CONTINUE:
            assert codes[-1] == code and step.parent_ids == (len(nodes) - 1,)
        else:
            assert step.parent_ids == (0,) and len(nodes) == 1


def test_seen_before_is_renumbered_with_the_nodes(tmp_path):
    run_dir, ids = run_with_siblings(tmp_path, CODES, grouped=True)
    search, _ = fork(StartState(run_dir, ids[CODES[2]], StartKind.CONTINUE), tmp_path, steps=1)
    with search.journal:
        last = search.journal.nodes()[-1]
    assert last.code == CODES[2] and last.id == 1 and last.meta[GYM_META]["seen_before"] == 1
    with Journal.open(run_dir / "journal.sqlite", read_only=True) as source:
        assert source.get(ids[CODES[2]]).id == 3  # the source is untouched
