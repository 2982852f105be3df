"""A node of the search: one candidate solution, what ran, and how it scored."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from airlab.failures import Failure
from airlab.journal.edit import EditRecord


class NodeStatus(StrEnum):
    """Life of a node: PROPOSED → QUEUED → RUNNING → GOOD | BUGGY, or LOST / CANCELLED.

    PROPOSED: the policy chose the step; the candidate is being written.
    QUEUED: the code is written and waits for a free worker.
    RUNNING: the code is submitted to a worker.
    GOOD: it ran and its submission is valid (it has a hidden search score).
    BUGGY: it crashed, timed out, ran out of memory, or wrote no valid submission.
    LOST: its execution could not be completed (e.g. the worker died too often); it is explicit.
    CANCELLED: the budget ran out before it was written; it never counts as a step.
    """

    PROPOSED = "proposed"
    QUEUED = "queued"
    RUNNING = "running"
    GOOD = "good"
    BUGGY = "buggy"
    LOST = "lost"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (NodeStatus.GOOD, NodeStatus.BUGGY, NodeStatus.LOST)

    @property
    def in_flight(self) -> bool:
        return self in (NodeStatus.PROPOSED, NodeStatus.QUEUED, NodeStatus.RUNNING)


class NodeMeta(BaseModel):
    """The typed sections of `Node.meta`. Backends and operators may add sections of their own
    (the templates' recipe); these are the ones the framework reads, with their types."""

    model_config = ConfigDict(extra="allow", frozen=True)

    policy: dict[str, Any] = Field(default_factory=dict)
    """What the policy decided about the step (`Step.meta`): island, LLM-first's choice, ..."""
    family: str | None = None
    """The approach family of the code (random_forest, gbdt, linear, ...)."""
    model: str | None = None
    """The model that wrote the code, as the server named it."""
    llm_calls: int = 0
    """Model calls charged to the node (its ledger rows)."""
    analysis: str | None = None
    """The model's account of the run."""
    analysis_error: str | None = None
    """Why no analysis was made (a failed call, a spent budget)."""
    finish_reason: str | None = None
    incomplete_code: bool = False
    react: dict[str, Any] | None = None
    """A ReAct episode: turns, whether it submitted, seconds, transcript."""
    edit: EditRecord | None = None
    """An improve or debug step under `edit_format=diff`: whether its blocks applied."""


class Node(BaseModel):
    """One row of the journal."""

    model_config = ConfigDict(frozen=True)

    id: int
    parent_ids: tuple[int, ...] = ()
    operator: str
    status: NodeStatus = NodeStatus.PROPOSED
    note: str = ""
    """Why the policy chose this step."""
    plan: str = ""
    code: str = ""
    failure: Failure | None = None
    error: str | None = None
    """A one-line account of the failure (exception line, invalid-submission reason)."""
    search_score: float | None = None
    select_score: float | None = None
    test_score: float | None = None
    self_reported_score: float | None = None
    exit_code: int | None = None
    peak_memory_mb: float | None = None
    exec_seconds: float | None = None
    generation_seconds: float | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None
    sandbox: str | None = None
    debug_depth: int = 0
    """Length of the chain of debug steps that led here (0 for a non-debug node)."""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    """How many times its execution was started (more than one after a resume re-queued it)."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Operator/backend details: template recipe, approach family, transcript, ..."""

    @property
    def info(self) -> NodeMeta:
        """`meta` read through its typed sections."""
        return NodeMeta.model_validate(self.meta)

    @property
    def is_good(self) -> bool:
        return self.status == NodeStatus.GOOD

    @property
    def is_buggy(self) -> bool:
        return self.status == NodeStatus.BUGGY
