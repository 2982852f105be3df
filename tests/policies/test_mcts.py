import math

import pytest

from airlab.policies import make_policy

AIDE = ("draft", "improve", "debug")


def mcts(**params):
    return make_policy("mcts", params, AIDE)


def test_drafts_num_children_at_the_root_counting_pending(build):
    policy = mcts(num_children=3)
    build.good(0.5)
    build.pending("draft")
    assert build.propose(policy).operator == "draft"
    build.pending("draft")
    assert build.propose(policy).operator == "improve"


def test_a_node_is_expanded_until_it_has_num_children(build):
    policy = mcts(num_children=2)
    a = build.good(0.9)
    build.good(0.1)
    build.good(0.5, "improve", (a.id,))
    step = build.propose(policy)
    assert (step.operator, step.parent_ids) == ("improve", (a.id,))


@pytest.mark.parametrize("c", [0.0, 0.25, 1.0, 1.4, 1.6, 5.0])
def test_uct_picks_the_child_the_formula_says(build, c):
    a = build.good(0.9)
    b = build.good(0.5)
    children = [build.good(s, "improve", (a.id,)) for s in (0.85, 0.88, 0.86)]
    # Worked by hand: min-max over seen values [0.5, 0.9]; a's subtree holds 4 results.
    norm = {s: (s - 0.5) / 0.4 for s in (0.9, 0.5, 0.85, 0.88, 0.86)}
    q_a = (norm[0.9] + norm[0.85] + norm[0.88] + norm[0.86]) / 4
    uct_a = q_a + c * math.sqrt(math.log(5) / 4)
    uct_b = norm[0.5] + c * math.sqrt(math.log(5) / 1)
    step = mcts(num_children=2, uct_c=c).propose(build.tree(), None)
    if uct_b > uct_a:
        assert step.parent_ids == (b.id,)
    else:  # a is full, so the search goes on below it
        assert step.parent_ids[0] in {child.id for child in children}


def test_lower_is_better_flips_q(build):
    low = build.good(0.1)
    build.good(0.9)
    assert build.propose(mcts(num_children=2), maximize=False).parent_ids == (low.id,)


def test_virtual_loss_diverts_a_second_worker(build):
    policy = mcts(num_children=2, uct_c=0.25)
    a = build.good(0.9)
    b = build.good(0.8)
    build.good(0.85, "improve", (a.id,))
    build.good(0.86, "improve", (a.id,))
    build.good(0.7, "improve", (b.id,))
    build.good(0.75, "improve", (b.id,))
    first = build.propose(policy)
    assert first.operator == "improve"
    chosen = build.journal.get(first.parent_ids[0])
    build.pending(first.operator, first.parent_ids)
    second = build.propose(policy)
    assert second.parent_ids != first.parent_ids
    assert chosen.id != second.parent_ids[0]


def test_a_buggy_child_is_debugged_first_and_only_its_fix_is_backed_up(build):
    a = build.good(0.9)
    build.good(0.1)
    bug = build.buggy("improve", (a.id,))
    step = build.propose(mcts(num_children=2))
    assert (step.operator, step.parent_ids) == ("debug", (bug.id,))
    fixed = build.good(0.95, "debug", (bug.id,))
    build.good(0.9, "improve", (a.id,))
    # Under a, the repaired chain backs up only the fix (normalised 1.0) and beats the sibling
    # (0.94); were the buggy node backed up as a 0 the chain's mean would be 0.5 and lose.
    step = build.propose(mcts(num_children=2, uct_c=0.0))
    assert (step.operator, step.parent_ids) == ("improve", (fixed.id,))


def test_a_buggy_node_past_max_debug_depth_is_never_debugged_again(build):
    policy = mcts(num_children=1, max_debug_depth=2)
    a = build.good(0.5)
    bug = build.buggy("improve", (a.id,))
    first = build.buggy("debug", (bug.id,))
    second = build.buggy("debug", (first.id,))
    assert second.debug_depth == 2
    for seed in range(10):
        step = build.propose(policy, seed=seed)
        assert step.operator != "debug"
        assert second.id not in step.parent_ids


def test_a_debug_chain_stops_after_its_time_bound(build):
    a = build.good(0.5)
    build.buggy("improve", (a.id,), seconds=30.0)
    assert build.propose(mcts(num_children=1)).operator == "debug"
    step = build.propose(mcts(num_children=1, max_debug_seconds=20))
    assert step.operator != "debug"


def test_dead_children_make_the_node_widen(build):
    policy = mcts(num_children=1, max_debug_depth=0)
    a = build.good(0.5)
    build.buggy("improve", (a.id,))
    step = build.propose(policy)
    assert (step.operator, step.parent_ids) == ("improve", (a.id,))


def test_bad_parameter_is_a_config_error():
    from airlab.errors import ConfigError

    with pytest.raises(ConfigError, match="uct_c"):
        mcts(uct_c=-1)
