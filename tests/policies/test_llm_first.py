import numpy as np
import pytest

from airlab.policies import make_policy
from airlab.policies.llm_first import parse_choice

AIDE = ("draft", "improve", "debug")


def llm_first(backend=None, **params):
    return make_policy("llm_first", {"num_drafts": 2, **params}, AIDE, backend)


def test_drafts_then_debugs_before_choosing(build):
    policy = llm_first()
    assert build.propose(policy).operator == "draft"
    build.good(0.5)
    bug = build.buggy()
    step = build.propose(policy)
    assert (step.operator, step.parent_ids) == ("debug", (bug.id,))


def test_heuristic_continues_while_the_path_climbs(build):
    build.good(0.9)
    start = build.good(0.3)
    climbing = build.good(0.5, "improve", (start.id,))  # the current node, better than its parent
    step = build.propose(llm_first())
    assert step.parent_ids == (climbing.id,)
    assert step.meta == {
        "choice": "continue",
        "decided_by": "heuristic",
        "current": climbing.id,
        "reason": "the current node improved on its parent",
    }


def test_heuristic_branches_to_the_best_open_candidate_when_the_path_stalls(build):
    best = build.good(0.9)
    start = build.good(0.5)
    build.good(0.4, "improve", (start.id,))  # current, worse than its parent
    step = build.propose(llm_first())
    assert step.parent_ids == (best.id,)
    assert step.meta["choice"] == "branch"


def test_a_full_node_is_not_open(build):
    a = build.good(0.9)
    build.good(0.1)
    build.good(0.2, "improve", (a.id,))
    step = build.propose(llm_first(max_children=1))
    assert step.parent_ids != (a.id,)


def test_the_model_chooses_and_sees_the_scores(build, scripted):
    model = scripted("BRANCH 1\nit has a higher score")
    build.good(0.5)
    other = build.good(0.7)
    current = build.good(0.6, "improve", (0,))
    step = build.propose(llm_first(model))
    assert step.parent_ids == (other.id,)
    assert step.meta["decided_by"] == "model"
    assert step.meta["reason"] == "it has a higher score"
    assert step.meta["choice_usage"]["tokens_in"] == 100
    purpose, prompt = model.calls[0]
    assert purpose == "choose"
    assert f"node {current.id} (score 0.6)" in prompt
    assert "- node 1 (score 0.7)" in prompt
    assert "higher scores are better" in prompt


def test_an_unusable_answer_falls_back_to_the_heuristic(build, scripted):
    build.good(0.9)
    start = build.good(0.5)
    build.good(0.4, "improve", (start.id,))
    for answer in ("I am not sure.", "BRANCH 99", "BRANCH"):
        step = build.propose(llm_first(scripted(answer)))
        assert step.meta["decided_by"] == "fallback"
        assert step.parent_ids == (0,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONTINUE", ("continue", 5)),
        ("continue.\nbecause", ("continue", 5)),
        ("Decision: BRANCH node #3", ("branch", 3)),
        ("branch to node 3 — better", ("branch", 3)),
        ("BRANCH 5", ("continue", 5)),
        ("**BRANCH 3**", ("branch", 3)),
    ],
)
def test_answers_are_parsed_robustly(build, text, expected):
    nodes = [build.good(0.1 * i) for i in range(6)]
    choice = parse_choice(text, nodes[5], [nodes[3], nodes[1]])
    assert (choice.action, choice.node.id) == expected


@pytest.mark.parametrize("seed", range(5))
def test_offline_it_improves_greedys_node_until_the_best_is_full(build, seed):
    """Why greedy and llm_first tied on every task of the small policy benchmark: run one step
    at a time, with no bug, the heuristic picks the best node as greedy does (a current node that
    beat its parent, the best when it was chosen, is the best now), until the best node has
    `max_children` children; then it branches and greedy does not."""
    rng = np.random.default_rng(seed)
    greedy = make_policy("greedy", {"num_drafts": 5}, AIDE)
    first = llm_first(num_drafts=5)
    for _ in range(5):
        build.good(float(rng.integers(0, 20)) / 20)
    for _ in range(60):
        tree = build.tree()
        ours, theirs = first.propose(tree, rng), greedy.propose(tree, rng)
        if len(tree.children(tree.best().id)) >= first.params.max_children:
            assert ours.parent_ids != theirs.parent_ids == (tree.best().id,)
            return
        assert ours.parent_ids == theirs.parent_ids
        build.good(float(rng.integers(0, 20)) / 20, "improve", ours.parent_ids)
    pytest.fail("the best node never filled up")
