"""Journal: nodes and model calls in SQLite, durable before the next step; the policy's view."""

from airlab.journal.calls import CallRecord, Spend
from airlab.journal.node import Node, NodeMeta, NodeStatus
from airlab.journal.store import JOURNAL_FILE, Journal, Ledger
from airlab.journal.tree import FitnessSource, SearchTree, agent_view

__all__ = [
    "JOURNAL_FILE",
    "CallRecord",
    "FitnessSource",
    "Journal",
    "Ledger",
    "Node",
    "NodeMeta",
    "NodeStatus",
    "SearchTree",
    "Spend",
    "agent_view",
]
