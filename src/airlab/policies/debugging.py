"""Debug chains shared by the policies: which buggy nodes may still be repaired.

A debug chain starts at a buggy node and follows its `debug` children. It is bounded by depth
(`Node.debug_depth`) and, optionally, by the seconds already spent writing and running it, both
read from the journal, so the bound holds across resumes and workers.
"""

from __future__ import annotations

from airlab.failures import UNREPAIRABLE
from airlab.journal.node import Node
from airlab.journal.tree import SearchTree
from airlab.policies.base import Step


def chain_seconds(tree: SearchTree, node: Node) -> float:
    """Seconds spent on the debug chain ending at `node`, its first buggy node included."""
    total = 0.0
    current: Node | None = node
    while current is not None:
        total += (current.exec_seconds or 0.0) + (current.generation_seconds or 0.0)
        if current.operator != "debug" or not current.parent_ids:
            break
        current = tree.by_id.get(current.parent_ids[0])
    return total


def debuggable(tree: SearchTree, *, max_depth: int, max_seconds: float | None = None) -> list[Node]:
    """Buggy leaves that a debug step may take, oldest first.

    A leaf has no child yet, pending ones included, so two workers never debug the same node;
    a node whose chain is `max_depth` long (or older than `max_seconds`) is never debugged again.
    """
    return [
        node
        for node in tree.buggy
        if tree.is_leaf(node.id)
        and node.failure not in UNREPAIRABLE
        and node.debug_depth < max_depth
        and (max_seconds is None or chain_seconds(tree, node) < max_seconds)
    ]


def debug_step(node: Node, **meta: object) -> Step:
    """Continue the debug chain at `node`; `meta` is stored on the new node."""
    return Step(
        "debug",
        (node.id,),
        note=f"debug buggy node {node.id} (chain depth {node.debug_depth + 1})",
        meta=dict(meta),
    )
