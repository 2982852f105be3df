"""The templates backend honours the operator-set cues: diversity and memory."""

from collections import Counter

import numpy as np
import pytest

from airlab.backends import WriteRequest, make_backend
from airlab.backends.templates import moves
from airlab.backends.templates.memory import (
    failed_moves,
    fingerprint,
    improve_with_memory,
    move_key,
)
from airlab.backends.templates.models import MODELS, models_for
from airlab.backends.templates.recipe import Member, Preprocessing, Recipe
from airlab.journal import Node, NodeStatus, agent_view
from airlab.tasks import load_task


@pytest.fixture
def task(make_task):
    return load_task(make_task())


def _svm(c: float = 1.0, scaler: str = "standard") -> Recipe:
    return Recipe(
        members=(Member("svm", {"C": c, "gamma": "scale"}, Preprocessing(scaler=scaler)),)
    )


def _node(node_id, recipe, score, operator="draft", parents=()):
    return Node(
        id=node_id,
        operator=operator,
        parent_ids=parents,
        status=NodeStatus.GOOD,
        search_score=score,
        meta={"recipe": recipe.to_dict()},
    )


def test_diversity_spreads_drafts_over_families_by_use(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    families = {spec.family for spec in models_for("classification")}
    history: list[Node] = []
    for node_id in range(2 * len(families)):
        request = WriteRequest(
            "draft", task, (), tuple(history), 0, node_id, options={"diversity": True}
        )
        candidate = backend.write(request)
        history.append(Node(id=node_id, operator="draft", code=candidate.code, meta=candidate.meta))
    counts = Counter(MODELS[n.meta["models"][0]].family for n in history)
    assert set(counts.values()) == {2}


def test_move_keys_name_the_change():
    assert move_key(_svm(1.0), _svm(3.0)) == "svm.C:up"
    assert move_key(_svm(1.0), _svm(0.5)) == "svm.C:down"
    assert move_key(_svm(), _svm(scaler="robust")) == "svm.scaler=robust"


def test_failed_moves_are_direction_aware():
    history = [_node(0, _svm(1.0), 0.8), _node(1, _svm(3.0), 0.7, "improve", (0,))]
    assert failed_moves(history, maximize=True) == {"svm.C:up"}
    assert failed_moves(history, maximize=False) == set()


def test_failed_moves_use_self_reported_scores_when_search_scores_are_hidden():
    history = [
        agent_view(node.model_copy(update={"self_reported_score": score}), "self_reported")
        for node, score in zip(
            [_node(0, _svm(1.0), 0.7), _node(1, _svm(3.0), 0.8, "improve", (0,))],
            (0.8, 0.7),  # the hidden scores say the move helped; the agent's own, that it hurt
            strict=True,
        )
    ]
    assert failed_moves(history, maximize=True) == {"svm.C:up"}


@pytest.mark.parametrize("seed", range(12))
def test_memory_avoids_a_solution_tried_and_a_move_that_failed(seed):
    parent = _svm(1.0)
    plain, _ = moves.improve(parent, np.random.default_rng(seed), bug_rate=0.0)
    history = [_node(0, parent, 0.8), _node(1, plain, 0.7, "improve", (0,))]
    recipe, plan = improve_with_memory(
        parent,
        history,
        np.random.default_rng(seed),
        maximize=True,
        bug_rate=0.0,
        log_target_ok=False,
    )
    assert fingerprint(recipe) != fingerprint(plain)
    assert move_key(parent, recipe) != move_key(parent, plain)
    assert "memory: skipped" in plan


def test_memory_is_used_only_when_the_set_asks(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    parent = _node(0, _svm(1.0), 0.8)
    plain = backend.write(WriteRequest("improve", task, (parent,), (parent,), 0, 1))
    child = _node(1, Recipe.from_dict(plain.meta["recipe"]), 0.7, "improve", (0,))
    history = (parent, child)
    again = backend.write(WriteRequest("improve", task, (parent,), history, 0, 1))
    cued = backend.write(
        WriteRequest("improve", task, (parent,), history, 0, 1, options={"memory": True})
    )
    assert again.meta["recipe"] == plain.meta["recipe"]
    assert cued.meta["recipe"] != plain.meta["recipe"]
