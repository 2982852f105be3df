"""Hand-built journals for policy tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from airlab.backends.base import ChatModel, Completion, Message, Usage
from airlab.journal import Journal, Node, NodeStatus, SearchTree
from airlab.policies import POLICY_META, Policy, Step


class TreeBuilder:
    """Adds finished or pending nodes to a journal and asks a policy for the next step."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def pending(self, operator: str = "draft", parents: tuple[int, ...] = (), **meta: Any) -> Node:
        depth = 0
        if operator == "debug":
            depth = self.journal.get(parents[0]).debug_depth + 1
        return self.journal.add(
            operator, parents, debug_depth=depth, meta={POLICY_META: meta} if meta else None
        )

    def good(
        self, score: float, operator: str = "draft", parents: tuple[int, ...] = (), **meta: Any
    ) -> Node:
        node = self.pending(operator, parents, **meta)
        return self.journal.update(
            node.id, status=NodeStatus.GOOD, search_score=score, finished_at=float(node.id)
        )

    def buggy(
        self,
        operator: str = "draft",
        parents: tuple[int, ...] = (),
        failure: str = "error",
        seconds: float = 1.0,
        **meta: Any,
    ) -> Node:
        node = self.pending(operator, parents, **meta)
        return self.journal.update(
            node.id,
            status=NodeStatus.BUGGY,
            failure=failure,
            exec_seconds=seconds,
            finished_at=float(node.id),
        )

    def tree(self, maximize: bool = True) -> SearchTree:
        return SearchTree.from_nodes(self.journal.nodes(), maximize=maximize)

    def propose(self, policy: Policy, seed: int = 0, maximize: bool = True) -> Step | None:
        return policy.propose(self.tree(maximize), np.random.default_rng(seed))


@pytest.fixture
def build(tmp_path) -> Iterator[TreeBuilder]:
    with Journal.create(tmp_path / "journal.sqlite") as journal:
        yield TreeBuilder(journal)


class ScriptedModel(ChatModel):
    """A chat model that answers every prompt with the same text and keeps the prompts."""

    name = "scripted"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.calls.append((purpose, messages[-1].content))
        return Completion(self.answer, Usage(tokens_in=100, tokens_out=5, calls=1))


@pytest.fixture
def scripted() -> Callable[[str], ScriptedModel]:
    return ScriptedModel
