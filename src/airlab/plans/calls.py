"""Model calls made outside a run (extraction, rubric discovery) are metered as a run's are:
every call, failed or not, is one `CallRecord` in a usage ledger and one line of a
`llm_calls.jsonl` beside the command's output, so what a command spent can be read back."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError
from airlab.journal.calls import CallRecord, Spend
from airlab.journal.store import Ledger

CALLS_FILE = "llm_calls.jsonl"


class CallTally(Ledger):
    """A usage ledger held in memory (a command has no journal); same interface as a run's."""

    def __init__(self) -> None:  # no journal: the calls are kept here
        self._calls: list[CallRecord] = []
        self._lock = threading.Lock()

    def record(self, call: CallRecord) -> CallRecord:
        with self._lock:
            kept = call.model_copy(update={"id": len(self._calls) + 1})
            self._calls.append(kept)
        return kept

    def calls(self) -> list[CallRecord]:
        with self._lock:
            return list(self._calls)

    def total(self) -> Spend:
        return Spend.of(self.calls())

    def for_node(self, node_id: int) -> Spend:
        return Spend.of([c for c in self.calls() if c.node_id == node_id])

    def assign(self, call_ids: list[int], node_id: int) -> None:
        raise NotImplementedError("a command's calls belong to no node")


def metered_model(
    backend: str, options: dict[str, Any] | None, folder: Path, tally: CallTally
) -> Any:
    """The chat model of `backend`, metered into `tally` and `folder/llm_calls.jsonl`."""
    from airlab.backends import ChatModel, make_backend
    from airlab.backends.llm.record import MeteredChatModel

    model = make_backend(backend, options)
    if not isinstance(model, ChatModel):
        raise ConfigError(
            f"backend {backend!r} writes code from templates; this needs a chat model"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return MeteredChatModel(model, folder / CALLS_FILE, tally)


def spend_line(spend: Spend) -> str:
    """`3 calls, 1,200 tokens, $0.0042` (with failed calls and unknown usage when any)."""
    parts = [f"{spend.calls} calls", f"{spend.tokens:,} tokens", f"${spend.cost_usd:.4f}"]
    if spend.failed:
        parts.append(f"{spend.failed} failed")
    if spend.unreported:
        parts.append(f"{spend.unreported} without usage")
    return ", ".join(parts)
