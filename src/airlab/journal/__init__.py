"""Journal: nodes in SQLite, durable before the next step; the policy's view of them."""

from airlab.journal.node import Node, NodeStatus
from airlab.journal.store import JOURNAL_FILE, Journal
from airlab.journal.tree import FitnessSource, SearchTree, agent_view

__all__ = [
    "JOURNAL_FILE",
    "FitnessSource",
    "Journal",
    "Node",
    "NodeStatus",
    "SearchTree",
    "agent_view",
]
