import numpy as np
import pytest

from airlab.errors import ConfigError
from airlab.journal import Journal, NodeStatus, SearchTree
from airlab.policies import make_policy


@pytest.fixture
def journal(tmp_path):
    with Journal.create(tmp_path / "j.sqlite") as j:
        yield j


def _good(journal, score, operator="draft", parents=()):
    node = journal.add(operator, parents)
    return journal.update(node.id, status=NodeStatus.GOOD, search_score=score)


def _buggy(journal, operator="draft", parents=(), depth=0, failure="error"):
    node = journal.add(operator, parents, debug_depth=depth)
    return journal.update(node.id, status=NodeStatus.BUGGY, failure=failure)


def _propose(journal, policy, seed=0, maximize=True):
    tree = SearchTree.from_nodes(journal.nodes(), maximize=maximize)
    return policy.propose(tree, np.random.default_rng(seed))


def greedy(**params):
    return make_policy("greedy", params, ("draft", "improve", "debug"))


def test_drafts_first_counting_pending_drafts(journal):
    policy = greedy(num_drafts=3)
    journal.add("draft")  # pending
    _good(journal, 0.5)
    assert _propose(journal, policy).operator == "draft"
    journal.add("draft")
    assert _propose(journal, policy).operator == "improve"


def test_improves_the_best_node_direction_aware(journal):
    policy = greedy(num_drafts=2, debug_prob=0.0)
    low = _good(journal, 0.2)
    high = _good(journal, 0.8)
    assert _propose(journal, policy).parent_ids == (high.id,)
    assert _propose(journal, policy, maximize=False).parent_ids == (low.id,)


def test_debugs_buggy_leaf_when_probability_is_one(journal):
    policy = greedy(num_drafts=2, debug_prob=1.0, max_debug_depth=3)
    _good(journal, 0.9)
    bug = _buggy(journal)
    step = _propose(journal, policy)
    assert (step.operator, step.parent_ids) == ("debug", (bug.id,))


def test_a_buggy_node_with_a_child_is_not_a_leaf(journal):
    policy = greedy(num_drafts=2, debug_prob=1.0)
    good = _good(journal, 0.9)
    bug = _buggy(journal)
    journal.add("debug", [bug.id], debug_depth=1)  # pending child claims it
    step = _propose(journal, policy)
    assert step.operator == "improve" and step.parent_ids == (good.id,)


def test_never_debugs_past_max_depth(journal):
    policy = greedy(num_drafts=1, debug_prob=1.0, max_debug_depth=2)
    good = _good(journal, 0.5)
    root_bug = _buggy(journal, "improve", [good.id])
    first = _buggy(journal, "debug", [root_bug.id], depth=1)
    second = _buggy(journal, "debug", [first.id], depth=2)
    for seed in range(20):
        step = _propose(journal, policy, seed=seed)
        assert step.parent_ids != (second.id,)
    assert step.operator == "improve"


@pytest.mark.parametrize("failure", ["no_code", "lost", "unchanged"])
def test_lost_codeless_and_unchanged_nodes_are_not_debugged(journal, failure):
    policy = greedy(num_drafts=1, debug_prob=1.0)
    _good(journal, 0.5)
    _buggy(journal, failure=failure)
    assert _propose(journal, policy).operator == "improve"


def test_debug_probability_is_respected(journal):
    policy = greedy(num_drafts=1, debug_prob=0.3)
    _good(journal, 0.5)
    _buggy(journal)
    picks = [_propose(journal, policy, seed=s).operator for s in range(2000)]
    assert picks.count("debug") / len(picks) == pytest.approx(0.3, abs=0.04)


def test_drafts_when_no_node_works(journal):
    policy = greedy(num_drafts=1, debug_prob=0.0)
    _buggy(journal)
    assert _propose(journal, policy).operator == "draft"


def test_bad_parameters_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="unknown parameter 'drafts'"):
        greedy(drafts=3)
    with pytest.raises(ConfigError, match="parameter 'debug_prob'"):
        greedy(debug_prob=2)


def test_with_its_defaults_a_six_step_budget_repairs(journal):
    """Both drafts fail a check: every one of the four steps left is a debug (AIDE's defaults,
    5 drafts and debug_prob 0.5, would spend 5 steps drafting)."""
    policy = greedy()
    assert (policy.params.num_drafts, policy.params.debug_prob) == (2, 1.0)
    for _ in range(2):
        assert _propose(journal, policy).operator == "draft"
        _buggy(journal, failure="check_failed")
    for step_number in range(3, 7):
        step = _propose(journal, policy, seed=step_number)
        assert step.operator == "debug", step_number
        parent = journal.get(step.parent_ids[0])
        _buggy(journal, "debug", step.parent_ids, depth=parent.debug_depth + 1)


def test_patience_turns_to_the_best_line_not_stalled(journal):
    """Line A leads but its last three improve steps (one still pending) found nothing better:
    with patience 3 greedy improves line B's best; without it, AIDE's rule stays on A."""
    lead = _good(journal, 0.9)
    other = _good(journal, 0.7)
    climbed = _good(journal, 0.75, "improve", (other.id,))
    _good(journal, 0.85, "improve", (lead.id,))
    _good(journal, 0.88, "improve", (lead.id,))
    journal.add("improve", (lead.id,))  # pending: counts as taken
    assert _propose(journal, greedy(num_drafts=2, debug_prob=0.0)).parent_ids == (lead.id,)
    step = _propose(journal, greedy(num_drafts=2, debug_prob=0.0, patience=3))
    assert (step.operator, step.parent_ids) == ("improve", (climbed.id,))
    assert _propose(journal, greedy(num_drafts=2, debug_prob=0.0, patience=4)).parent_ids == (
        lead.id,
    )


def test_patience_returns_to_the_best_node_once_every_line_stalled(journal):
    lead = _good(journal, 0.9)
    other = _good(journal, 0.7)
    for parent in (lead, lead, other, other):
        _good(journal, 0.5, "improve", (parent.id,))
    assert _propose(journal, greedy(num_drafts=2, debug_prob=0.0, patience=2)).parent_ids == (
        lead.id,
    )


def _climb(journal, policy, steps):
    """A planted landscape: the first draft's line is flat at 0.90, the second's starts at
    0.80 and gains 0.02 per improve step. Returns the best score after `steps` proposals."""
    _good(journal, 0.90)
    _good(journal, 0.80)
    for seed in range(steps):
        step = _propose(journal, policy, seed=seed)
        parent = journal.get(step.parent_ids[0])
        line = parent
        while line.parent_ids:
            line = journal.get(line.parent_ids[0])
        score = 0.90 if line.id == 0 else parent.search_score + 0.02
        _good(journal, score, step.operator, step.parent_ids)
    return max(node.search_score for node in journal.nodes())


def test_patience_finds_the_climbing_line_that_aides_rule_never_tries(tmp_path):
    with Journal.create(tmp_path / "aide.sqlite") as aide:
        assert _climb(aide, greedy(num_drafts=2, debug_prob=0.0), 20) == pytest.approx(0.90)
    with Journal.create(tmp_path / "patient.sqlite") as patient:
        assert _climb(patient, greedy(num_drafts=2, debug_prob=0.0, patience=3), 20) > 0.99
