"""Top-k search: drafts, then debug the oldest stuck leaf or improve one of the k best nodes."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from airlab.journal.tree import SearchTree
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.policies.debugging import debuggable


class TopKParams(PolicyParams):
    num_drafts: int = Field(3, ge=1)
    """Drafts before any improvement."""
    top_k: int = Field(3, ge=1)
    """Improve one of this many best working nodes, drawn at random."""
    max_debug_depth: int = Field(2, ge=0)
    """Longest chain of debug steps."""


class TopK(Policy):
    """Decides from the journal alone (no state of its own), so a resumed run goes on alike."""

    name = "example-top-k"
    Params = TopKParams
    params: TopKParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        drafts = tree.with_operator("draft")
        if len(drafts) < self.params.num_drafts:
            return Step("draft", note=f"draft {len(drafts) + 1} of {self.params.num_drafts}")
        stuck = debuggable(tree, max_depth=self.params.max_debug_depth)
        if stuck and "debug" in self.operators:
            return Step("debug", (stuck[0].id,), note="debug the oldest stuck leaf")
        top = tree.ranked()[: self.params.top_k]
        if not top:
            return Step("draft", note="no working solution yet")
        parent = top[int(rng.integers(len(top)))]
        return Step("improve", (parent.id,), note=f"improve one of the {len(top)} best")
