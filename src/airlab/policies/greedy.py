"""Greedy search, as in AIDE: drafts first, then debug a buggy leaf or improve the best node.

The defaults are for short budgets: 2 drafts, and a buggy leaf always debugged (up to 3 deep).
AIDE's own (5 drafts, debug with probability 0.5) spend 5 of a 6-step budget on drafts and leave
the sixth a coin flip between debugging and improving: with a 1.5B model writing the code, one
valid solution in 18 nodes, and debug barely ran. `-P num_drafts=5 -P debug_prob=0.5` gives
AIDE's defaults back ("aide defaults", as in docs/policies.md).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from airlab.journal.node import Node
from airlab.journal.tree import SearchTree
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.policies.debugging import debuggable


class GreedyParams(PolicyParams):
    num_drafts: int = Field(2, ge=1)
    """Drafts before any improvement (AIDE and aira-dojo: 5; 2 leaves a short budget room to
    repair and improve)."""
    debug_prob: float = Field(1.0, ge=0, le=1)
    """Chance of debugging a buggy leaf when one is eligible (AIDE 0.5, aira-dojo 1.0)."""
    max_debug_depth: int = Field(3, ge=0)
    """Longest chain of debug steps (AIDE 3, aira-dojo 20)."""
    patience: int | None = Field(None, ge=1)
    """Improve steps a draft's line may take without beating its own best before greedy turns
    to the best line that has not stalled; once every line has stalled, AIDE's rule again
    (None: AIDE's rule throughout). Without it, a family that leads after the drafts takes the
    whole budget, however flat its line has gone."""


class Greedy(Policy):
    """AIDE's rule, made asynchronous by counting pending nodes as taken.

    1. While fewer than `num_drafts` drafts exist (pending included), draft.
    2. With probability `debug_prob`, debug a buggy leaf whose debug chain is shorter than
       `max_debug_depth` (a leaf: no child yet, pending or finished).
    3. Otherwise improve the node with the best fitness; with no good node yet, draft. With
       `patience`, the node improved is the best of a line (a draft and what descends from it)
       that has had fewer than `patience` improve steps since its own best was found.
    """

    name = "greedy"
    Params = GreedyParams
    params: GreedyParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        drafts = tree.with_operator("draft")
        if len(drafts) < self.params.num_drafts:
            return Step("draft", note=f"draft {len(drafts) + 1} of {self.params.num_drafts}")
        if "debug" in self.operators and rng.random() < self.params.debug_prob:
            stuck = debuggable(tree, max_depth=self.params.max_debug_depth)
            if stuck:
                node = stuck[int(rng.integers(len(stuck)))]
                depth = node.debug_depth + 1
                return Step("debug", (node.id,), note=f"debug buggy leaf (depth {depth})")
        best = tree.best()
        if best is None:
            return Step("draft", note="no working solution yet")
        if self.params.patience is not None:
            fresh = _best_unstalled(tree, self.params.patience)
            if fresh is not None and fresh.id != best.id:
                return Step("improve", (fresh.id,), note="improve the best line not stalled")
        return Step("improve", (best.id,), note="improve the best node")


def _lines(tree: SearchTree) -> dict[int, list[Node]]:
    """Nodes grouped by the draft they descend from (by first parents), in one pass: a parent
    is always recorded before its children."""
    line_of: dict[int, int] = {}
    lines: dict[int, list[Node]] = {}
    for node in sorted(tree.nodes, key=lambda n: n.id):
        parent = node.parent_ids[0] if node.parent_ids else None
        line = line_of.get(parent, node.id) if parent is not None else node.id
        line_of[node.id] = line
        lines.setdefault(line, []).append(node)
    return lines


def _best_unstalled(tree: SearchTree, patience: int) -> Node | None:
    """The best node among lines with fewer than `patience` improve steps (pending ones
    included) proposed after the line's best node."""
    candidates = []
    for members in _lines(tree).values():
        ranked = tree.ranked(members)
        if not ranked:
            continue
        since = [n for n in members if n.operator == "improve" and n.id > ranked[0].id]
        if len(since) < patience:
            candidates.append(ranked[0])
    ranked = tree.ranked(candidates)
    return ranked[0] if ranked else None
