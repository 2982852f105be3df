"""Runtime-aware fitness (MARS, R = G·(t/L)^w): faster is better in both metric directions,
the policy sees it, and the recorded scores and the final choice stay raw."""

import numpy as np
import pytest

from airlab.errors import ConfigError
from airlab.journal import Node, NodeStatus, SearchTree
from airlab.policies import make_policy
from airlab.runner.config import Selection, load_config
from airlab.runner.finalize import choose_final


def _node(node_id, search, seconds, select=None):
    return Node(
        id=node_id,
        operator="draft",
        status=NodeStatus.GOOD,
        search_score=search,
        select_score=select,
        exec_seconds=seconds,
    )


def _tree(nodes, maximize, weight):
    return SearchTree.from_nodes(
        nodes, maximize=maximize, runtime_weight=weight, time_limit_s=100.0
    )


def test_factor_is_marss_form():
    tree = _tree([], True, -0.07)
    assert tree.runtime_factor(_node(0, 0.5, 10.0)) == pytest.approx(0.1**-0.07)
    assert tree.fitness(_node(0, 0.5, 10.0)) == pytest.approx(0.5 * 0.1**-0.07)
    assert tree.runtime_factor(_node(0, 0.5, 100.0)) == 1.0


@pytest.mark.parametrize("maximize", [True, False])
def test_a_faster_node_overtakes_a_slightly_better_slow_one(maximize):
    slow_better = 0.80 if maximize else 0.50
    fast_worse = 0.79 if maximize else 0.51
    nodes = [_node(0, slow_better, 99.0), _node(1, fast_worse, 1.0)]
    assert _tree(nodes, maximize, 0.0).best().id == 0
    assert _tree(nodes, maximize, -0.07).best().id == 1


def test_a_much_better_slow_node_keeps_its_rank():
    nodes = [_node(0, 0.9, 99.0), _node(1, 0.3, 1.0)]
    assert _tree(nodes, True, -0.07).best().id == 0


def test_policy_follows_the_discounted_fitness():
    nodes = [_node(0, 0.80, 99.0), _node(1, 0.79, 1.0)]
    policy = make_policy("greedy", {"num_drafts": 2}, ("draft", "improve", "debug"))
    raw = policy.propose(_tree(nodes, True, 0.0), np.random.default_rng(0))
    weighed = policy.propose(_tree(nodes, True, -0.07), np.random.default_rng(0))
    assert raw.parent_ids == (0,)
    assert weighed.parent_ids == (1,)


def test_final_choice_stays_raw():
    nodes = [_node(0, 0.80, 99.0, select=0.9), _node(1, 0.79, 1.0, select=0.5)]
    chosen = choose_final(nodes, maximize=True, selection=Selection(runtime_weight=-0.07, top_k=1))
    assert chosen.id == 0


def test_weight_must_not_reward_slowness():
    with pytest.raises(ConfigError, match="--runtime-weight"):
        load_config(
            {"task": "t", "selection": {"runtime_weight": 0.5}},
            flags={"selection.runtime_weight": "--runtime-weight"},
        )
