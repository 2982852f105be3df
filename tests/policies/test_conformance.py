"""Every policy against the same contract, on simulated asynchronous runs (no code executed).

Up to three candidates are in flight at once and finish out of order, some buggy. Each policy
must only emit operators of the run's set, with parents of the right kind; never debug a node
twice; propose something whenever nothing is in flight; and decide from the journal alone, so
that a fresh policy reading the reopened journal proposes exactly the same step.
"""

from __future__ import annotations

import numpy as np
import pytest

from airlab.journal import Journal, NodeStatus, SearchTree
from airlab.operators import OPERATOR_SETS, OPERATORS
from airlab.policies import POLICIES, POLICY_META, Step, make_policy

SMALL = {
    "greedy": {"num_drafts": 3},
    "mcts": {"num_children": 3},
    "evolutionary": {"num_drafts": 3, "individuals_per_generation": 2, "migration_interval": 1},
    "llm_first": {"num_drafts": 3, "max_children": 3},
}


def _check(step: Step, tree: SearchTree, operators: tuple[str, ...]) -> None:
    assert step.operator in operators
    assert len(step.parent_ids) == OPERATORS.get(step.operator).arity
    assert len(set(step.parent_ids)) == len(step.parent_ids)
    parents = [tree.by_id[p] for p in step.parent_ids]
    if step.operator == "debug":
        assert parents[0].is_buggy and tree.is_leaf(parents[0].id)
    else:
        assert all(parent.is_good for parent in parents)


def _simulate(tmp_path, name, operator_set, workers, backend=None, steps=24, seed=0):
    operators = OPERATOR_SETS.get(operator_set).operators
    path = tmp_path / f"{name}-{operator_set}-{workers}.sqlite"
    journal = Journal.create(path)
    policy = make_policy(name, SMALL[name], operators, backend)
    outcome = np.random.default_rng(seed)
    in_flight: list[int] = []
    while len(journal) < steps or in_flight:
        while len(in_flight) < workers and len(journal) < steps:
            tree = SearchTree.from_nodes(journal.nodes(), maximize=False)
            rng_seed = [seed, len(journal), 11]
            step = policy.propose(tree, np.random.default_rng(rng_seed))
            if step is None:
                assert in_flight, f"{name} waits with nothing in flight"
                break
            _check(step, tree, operators)
            with Journal.open(path) as reread:  # the state is the journal, nothing else
                fresh = make_policy(name, SMALL[name], operators, backend)
                again = fresh.propose(
                    SearchTree.from_nodes(reread.nodes(), maximize=False),
                    np.random.default_rng(rng_seed),
                )
            assert again == step
            depth = (
                journal.get(step.parent_ids[0]).debug_depth + 1 if step.operator == "debug" else 0
            )
            node = journal.add(
                step.operator,
                step.parent_ids,
                note=step.note,
                debug_depth=depth,
                meta={POLICY_META: step.meta} if step.meta else None,
            )
            in_flight.append(node.id)
        finished = in_flight.pop(int(outcome.integers(len(in_flight))))
        node = journal.get(finished)
        if outcome.random() < 0.25:
            journal.update(
                finished,
                status=NodeStatus.BUGGY,
                failure="error",
                exec_seconds=1.0,
                finished_at=float(len(journal) + finished),
            )
        else:
            parents = [journal.get(p).search_score or 1.0 for p in node.parent_ids]
            base = min(parents) if parents else outcome.uniform(0.5, 1.5)
            journal.update(
                finished,
                status=NodeStatus.GOOD,
                search_score=float(base * outcome.uniform(0.85, 1.1)),
                finished_at=float(len(journal) + finished),
            )
    return journal


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("operator_set", ["aide", "extended"])
@pytest.mark.parametrize("workers", [1, 3])
def test_policy_contract(tmp_path, name, operator_set, workers):
    journal = _simulate(tmp_path, name, operator_set, workers)
    nodes = journal.nodes()
    assert len(nodes) == 24
    debugged = [n.parent_ids[0] for n in nodes if n.operator == "debug"]
    assert len(debugged) == len(set(debugged)), "a node was debugged twice"
    assert {n.operator for n in nodes} >= {"draft", "improve"}


def test_every_registered_policy_is_in_the_contract():
    assert set(POLICIES.names()) == set(SMALL)


def test_llm_first_with_a_model_keeps_the_contract(tmp_path, scripted):
    journal = _simulate(tmp_path, "llm_first", "aide", 2, backend=scripted("BRANCH 1"))
    decided = [
        n.meta[POLICY_META]["decided_by"]
        for n in journal.nodes()
        if n.operator == "improve" and "decided_by" in n.meta.get(POLICY_META, {})
    ]
    assert decided and set(decided) <= {"model", "fallback", "heuristic"}
    assert "model" in decided


def test_evolutionary_uses_crossover_only_in_the_extended_set(tmp_path):
    extended = _simulate(tmp_path, "evolutionary", "extended", 2, steps=30)
    aide = _simulate(tmp_path, "evolutionary", "aide", 2, steps=30)
    assert any(n.operator == "crossover" for n in extended.nodes())
    assert not any(n.operator == "crossover" for n in aide.nodes())
