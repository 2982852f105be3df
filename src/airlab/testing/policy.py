"""The contract every search policy must keep, on simulated asynchronous runs (no code runs).

Up to three candidates are in flight at once and finish out of order, some buggy. A policy must
only emit operators of the run's set, with parents of the right kind (debug: a buggy leaf; the
others: working nodes); never debug a node twice; propose something whenever nothing is in
flight; and decide from the journal alone, so that a fresh policy reading the reopened journal
proposes exactly the same step.

    class TestMyPolicy(PolicySuite):
        @pytest.fixture
        def policy_factory(self):
            return lambda operators: MyPolicy(MyPolicy.Params(), operators)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from airlab.journal import Journal, NodeStatus, SearchTree
from airlab.operators import OPERATOR_SETS, OPERATORS
from airlab.policies import POLICY_META, Policy, Step

PolicyFactory = Callable[[tuple[str, ...]], Policy]
"""operators → a fresh policy (the suite builds a second one to check it keeps no state)."""


def check_step(step: Step, tree: SearchTree, operators: tuple[str, ...]) -> None:
    """One proposed step against the run's operators and the tree it was proposed on."""
    assert step.operator in operators, f"{step.operator!r} is not in the run's set {operators}"
    arity = OPERATORS.get(step.operator).arity
    assert len(step.parent_ids) == arity, f"{step.operator} needs {arity} parent(s): {step}"
    assert len(set(step.parent_ids)) == len(step.parent_ids), f"repeated parent: {step}"
    unknown = [p for p in step.parent_ids if p not in tree.by_id]
    assert not unknown, f"parent id(s) {unknown} are not nodes of the journal: {step}"
    parents = [tree.by_id[p] for p in step.parent_ids]
    if step.operator == "debug":
        assert parents[0].is_buggy and tree.is_leaf(parents[0].id), (
            f"debug needs a buggy leaf as its parent; node {parents[0].id} is "
            f"{parents[0].status.value}{'' if tree.is_leaf(parents[0].id) else ' with children'}: "
            f"{step}"
        )
    else:
        assert all(parent.is_good for parent in parents), (
            f"{step.operator} needs working parents; "
            f"{[(p.id, p.status.value) for p in parents if not p.is_good]} are not: {step}"
        )


def simulate(
    path: Path,
    factory: PolicyFactory,
    operator_set: str,
    workers: int,
    *,
    steps: int = 24,
    seed: int = 0,
    maximize: bool = False,
) -> Journal:
    """Drive a policy over a journal at `path` as a run with `workers` slots would, checking
    every step; executions finish in random order, a quarter of them buggy."""
    operators = OPERATOR_SETS.get(operator_set).operators
    journal = Journal.create(path)
    policy = factory(operators)
    outcome = np.random.default_rng(seed)
    in_flight: list[int] = []
    while len(journal) < steps or in_flight:
        while len(in_flight) < workers and len(journal) < steps:
            tree = SearchTree.from_nodes(journal.nodes(), maximize=maximize)
            rng_seed = [seed, len(journal), 11]
            step = policy.propose(tree, np.random.default_rng(rng_seed))
            if step is None:
                assert in_flight, "the policy waits with nothing in flight"
                break
            check_step(step, tree, operators)
            with Journal.open(path) as reread:  # the state is the journal, nothing else
                again = factory(operators).propose(
                    SearchTree.from_nodes(reread.nodes(), maximize=maximize),
                    np.random.default_rng(rng_seed),
                )
            assert again == step, "a fresh policy on the same journal proposed another step"
            parent = journal.get(step.parent_ids[0]) if step.parent_ids else None
            depth = parent.debug_depth + 1 if parent and step.operator == "debug" else 0
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


class PolicySuite:
    """Subclass it and provide the `policy_factory` fixture."""

    @pytest.fixture
    def policy_factory(self) -> PolicyFactory:
        raise NotImplementedError("a PolicySuite subclass provides the policy_factory fixture")

    @pytest.mark.parametrize("operator_set", ["aide", "extended"])
    @pytest.mark.parametrize("workers", [1, 3])
    def test_contract_on_an_asynchronous_run(
        self, tmp_path: Path, policy_factory: PolicyFactory, operator_set: str, workers: int
    ) -> None:
        journal = simulate(tmp_path / "journal.sqlite", policy_factory, operator_set, workers)
        nodes = journal.nodes()
        assert len(nodes) == 24, f"the simulated run stopped after {len(nodes)} of 24 steps"
        debugged = [n.parent_ids[0] for n in nodes if n.operator == "debug"]
        assert len(debugged) == len(set(debugged)), "a node was debugged twice"

    def test_drafts_then_improves(self, tmp_path: Path, policy_factory: PolicyFactory) -> None:
        journal = simulate(tmp_path / "journal.sqlite", policy_factory, "aide", 2)
        operators = [n.operator for n in journal.nodes()]
        assert operators[0] == "draft", "the first step of a search must be a draft"
        assert "improve" in operators, "24 steps with working drafts and no improvement"

    def test_first_step_on_an_empty_journal(
        self, tmp_path: Path, policy_factory: PolicyFactory
    ) -> None:
        policy = policy_factory(OPERATOR_SETS.get("aide").operators)
        with Journal.create(tmp_path / "journal.sqlite") as journal:
            tree = SearchTree.from_nodes(journal.nodes(), maximize=True)
            step = policy.propose(tree, np.random.default_rng(0))
        assert step is not None, "the policy proposed nothing on an empty journal"
        assert step.operator == "draft" and step.parent_ids == (), (
            f"the first step on an empty journal must be a draft without parents, got {step}"
        )
