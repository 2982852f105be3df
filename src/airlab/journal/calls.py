"""Model calls as the usage ledger records them (`journal.store.Ledger` keeps them in the journal):
every call of a run, charged to the node (or step) it served.

A call is one row of the journal's `calls` table, written when the call ends, failed or not, from
whichever thread made it. Budgets, node totals, `result.json` and reports all read these rows, so
what the run claims it spent is the sum of what the servers reported, call by call.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class CallRecord(BaseModel):
    """One model call as the ledger keeps it."""

    model_config = ConfigDict(frozen=True)

    id: int = 0
    node_id: int | None = None
    """The node the call served; None for run-level calls (preflight) and, until the step
    becomes a node, for a policy's own calls."""
    purpose: str
    """draft, improve, debug, crossover, their -reminder, improve-whole and debug-whole (a diff
    step's fallback), analysis, react-*, choose, preflight"""
    backend: str
    model: str = ""
    started_at: float
    finished_at: float
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cached_in: int = 0
    """Input tokens read from the prompt cache (part of `tokens_in`)."""
    cache_write_in: int = 0
    """Input tokens written to the prompt cache (part of `tokens_in`)."""
    reasoning_out: int = 0
    """Output tokens spent thinking (part of `tokens_out`)."""
    usage_reported: bool = True
    """False when the server answered without a `usage` block, or when an attempt of the call
    was abandoned at the client's timeout (billed by the server, unknown here): its tokens are
    unknown, not 0."""
    priced: bool = True
    """False when the model has no price in the table (its cost is unknown, not 0)."""
    retries: int = 0
    """Attempts that failed transiently (429, 5xx, timeouts) before the call ended, failed or
    not."""
    error: str | None = None
    """A one-line account of a failed call (the call may still have cost something)."""
    fatal: bool = False
    """The failure says the backend cannot work (refused key, unknown model, no server)."""

    @property
    def latency_s(self) -> float:
        return self.finished_at - self.started_at


@dataclass(frozen=True)
class Spend:
    """Totals over some calls."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    failed: int = 0
    unreported: int = 0
    """Calls whose usage is unknown: answered without `usage`, or abandoned at the client's
    timeout (the server bills those all the same)."""
    unpriced: int = 0
    """Calls whose model has no known price."""

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def __add__(self, other: Spend) -> Spend:
        return Spend(
            *(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__)
        )

    def add(self, call: CallRecord) -> Spend:
        return Spend(
            calls=self.calls + 1,
            tokens_in=self.tokens_in + call.tokens_in,
            tokens_out=self.tokens_out + call.tokens_out,
            cost_usd=self.cost_usd + call.cost_usd,
            failed=self.failed + (call.error is not None),
            unreported=self.unreported + (not call.usage_reported),
            unpriced=self.unpriced
            + (not call.priced and (call.error is None or call.tokens_in + call.tokens_out > 0)),
        )

    @classmethod
    def of(cls, calls: list[CallRecord]) -> Spend:
        total = cls()
        for call in calls:
            total = total.add(call)
        return total
