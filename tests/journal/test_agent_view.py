"""agent_view: the one rule for what an agent may see of a node."""

from airlab.journal import Node, NodeStatus, SearchTree, agent_view


def _graded() -> Node:
    return Node(
        id=1,
        operator="draft",
        status=NodeStatus.GOOD,
        search_score=0.1,
        select_score=0.2,
        test_score=0.3,
        self_reported_score=0.4,
    )


def test_select_and_test_are_never_seen_and_search_only_under_hidden_fitness():
    hidden = agent_view(_graded(), "hidden")
    assert (hidden.search_score, hidden.select_score, hidden.test_score) == (0.1, None, None)
    own = agent_view(_graded(), "self_reported")
    assert (own.search_score, own.select_score, own.test_score) == (None, None, None)
    assert own.self_reported_score == 0.4 and own.status == NodeStatus.GOOD


def test_the_tree_keeps_search_scores_for_displays_but_scores_by_the_run_fitness():
    tree = SearchTree.from_nodes([_graded()], maximize=True, fitness_source="self_reported")
    (node,) = tree.nodes
    assert node.search_score == 0.1 and node.select_score is None
    assert tree.score(node) == 0.4
