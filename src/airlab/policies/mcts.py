"""Monte-Carlo tree search over solutions, after aira-dojo (arXiv 2507.02554).

Defaults are aira-dojo's: 5 children per expansion, UCT constant 0.25, Q the mean backed-up
fitness min–max normalised over the values seen so far with its sign set by the metric's
direction. Nothing is kept between calls: visit counts and values are recomputed from the search
tree on each proposal, so a resumed run (or one with more workers) continues the same search.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from airlab.journal.node import Node
from airlab.journal.tree import SearchTree
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.policies.debugging import debug_step, debuggable
from airlab.policies.scoring import MinMax


class MCTSParams(PolicyParams):
    uct_c: float = Field(0.25, ge=0)
    """Exploration constant of UCT (aira-dojo: 0.25)."""
    num_children: int = Field(5, ge=1)
    """Children of a node before UCT chooses among them: drafts at the root, improvements
    elsewhere (aira-dojo: 5)."""
    max_debug_depth: int = Field(10, ge=0)
    """Longest debug chain of a buggy child (aira-dojo's evolutionary setting: 10; MCTS's own
    value is not given in REFERENCES)."""
    max_debug_seconds: float | None = Field(None, gt=0)
    """Stop repairing a chain once its writing and execution took this long (None: no limit)."""


@dataclass
class Visits:
    """What was backed up through a node: how many results and their summed normalised value."""

    count: int = 0
    total: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class MCTS(Policy):
    """UCT over the tree of solutions, made asynchronous by virtual loss.

    1. A buggy leaf whose debug chain is still within bounds is debugged first, so the chain
       runs to its end like aira-dojo's inline debug loop.
    2. Otherwise descend from the root (the task). A node with fewer than `num_children`
       children — pending ones included — is expanded: a draft at the root, an improvement of a
       working node elsewhere; expanding before choosing is how unvisited children come first.
       A full node passes to the child maximising Q + c·sqrt(ln N_parent / N_child).
    Backed-up results: each working node counts once with its normalised fitness. A buggy node
    counts only while it is a leaf (value 0); once its chain is fixed, only the fixed node's
    result counts, and UCT descends through the chain to that fixed node. A pending node counts
    as a visit of value 0 (virtual loss), so a second worker is steered to another branch.
    """

    name = "mcts"
    Params = MCTSParams
    params: MCTSParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        if "debug" in self.operators:
            stuck = debuggable(
                tree,
                max_depth=self.params.max_debug_depth,
                max_seconds=self.params.max_debug_seconds,
            )
            if stuck:
                return debug_step(stuck[0])
        search = _MCTSView(tree)
        node: Node | None = None
        while True:
            children = search.children(node)
            if len(children) < self.params.num_children:
                return self._expand(node)
            reachable = [(child, search.landing(child)) for child in children]
            options = [(child, landing) for child, landing in reachable if landing is not None]
            if not options:
                return self._expand(node, widen=True)
            parent_visits = search.visits(node).count
            _, node = max(
                options,
                key=lambda option: (
                    uct(search.visits(option[0]), parent_visits, self.params.uct_c),
                    -option[0].id,
                ),
            )

    def _expand(self, node: Node | None, *, widen: bool = False) -> Step:
        why = "no working child to descend to" if widen else "expand"
        if node is None:
            return Step("draft", note=f"{why}: draft at the root")
        return Step("improve", (node.id,), note=f"{why}: improve node {node.id}")


def uct(child: Visits, parent_visits: int, c: float) -> float:
    """Q(child) + c·sqrt(ln N(parent) / N(child)) with Q the mean normalised value."""
    if child.count == 0:
        return math.inf
    explore = math.sqrt(math.log(max(parent_visits, 1)) / child.count)
    return child.mean + c * explore


class _MCTSView:
    """The search tree as MCTS sees it: first-parent children and backed-up visits."""

    def __init__(self, tree: SearchTree) -> None:
        self.tree = tree
        normalise = MinMax(tree)
        self._children: dict[int | None, list[Node]] = defaultdict(list)
        for node in tree.nodes:
            self._children[node.parent_ids[0] if node.parent_ids else None].append(node)
        self._visits: dict[int | None, Visits] = defaultdict(Visits)
        # Ids grow with time, so children come after parents: sum bottom-up in one pass.
        for node in sorted(tree.nodes, key=lambda n: n.id, reverse=True):
            own = self._visits[node.id]
            value = normalise(node)
            if value is not None:
                own.count += 1
                own.total += value
            elif node.status.in_flight or tree.is_leaf(node.id):
                own.count += 1  # virtual loss, or a result that was never fixed
            parent = self._visits[node.parent_ids[0] if node.parent_ids else None]
            parent.count += own.count
            parent.total += own.total

    def children(self, node: Node | None) -> list[Node]:
        return self._children[None if node is None else node.id]

    def visits(self, node: Node | None) -> Visits:
        return self._visits[None if node is None else node.id]

    def landing(self, node: Node) -> Node | None:
        """Where UCT goes on through `node`: itself if it works, else the fixed end of its debug
        chain, else nowhere (the chain is pending, still being repaired, or dead)."""
        if self.tree.fitness(node) is not None:
            return node
        frontier = [c for c in self._children[node.id] if c.operator == "debug"]
        while frontier:
            fixed = [c for c in frontier if self.tree.fitness(c) is not None]
            if fixed:
                return min(fixed, key=lambda c: c.id)
            frontier = [c for f in frontier for c in self._children[f.id] if c.operator == "debug"]
        return None
