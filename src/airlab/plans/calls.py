"""Model calls made outside a run (extraction, rubric discovery) are metered as a run's are:
every call, failed or not, is one `CallRecord` in a usage ledger and one line of a
`llm_calls.jsonl` beside the command's output, so what a command spent can be read back."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from airlab.errors import BudgetExhaustedError, ConfigError
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


class SpendCap:
    """A command's budget (`--cost` USD, `--tokens`), checked before every call of its models:
    a call is refused once the calls so far have spent it (at most one call overshoots)."""

    def __init__(
        self, tally: CallTally, *, cost_usd: float | None = None, tokens: int | None = None
    ) -> None:
        if (cost_usd is not None and cost_usd <= 0) or (tokens is not None and tokens <= 0):
            raise ConfigError(f"--cost and --tokens must be above 0, got {cost_usd}, {tokens}")
        self.tally, self.cost_usd, self.tokens = tally, cost_usd, tokens

    def __call__(self) -> None:
        spent = self.tally.total()
        if self.cost_usd is not None and spent.cost_usd >= self.cost_usd:
            raise BudgetExhaustedError(
                f"--cost {self.cost_usd:g}: ${spent.cost_usd:.4f} spent in {spent.calls} calls"
            )
        if self.tokens is not None and spent.tokens >= self.tokens:
            raise BudgetExhaustedError(
                f"--tokens {self.tokens:,}: {spent.tokens:,} spent in {spent.calls} calls"
            )

    def refuse_unpriced(self, model: Any, backend: str) -> None:
        """Before any call: a cost cap over a model with no price could never stop."""
        if self.cost_usd is None:
            return
        from airlab.runner.search import unpriced_models

        missing = unpriced_models(model)
        if missing:
            raise ConfigError(
                f"--cost: backend {backend!r} has no price for model {missing[0]!r}, so its "
                "calls cost nothing by the books and --cost could not stop them (use --tokens, "
                "or add a price with -B prices=FILE)"
            )


def metered_model(
    backend: str,
    options: dict[str, Any] | None,
    folder: Path,
    tally: CallTally,
    cap: SpendCap | None = None,
) -> Any:
    """The chat model of `backend`, metered into `tally` and `folder/llm_calls.jsonl`, and
    refused a call once `cap` is spent (checked before the first call: a price to count)."""
    from airlab.backends import ChatModel, make_backend
    from airlab.backends.llm.record import MeteredChatModel

    model = make_backend(backend, options)
    if not isinstance(model, ChatModel):
        raise ConfigError(
            f"backend {backend!r} writes code from templates; this needs a chat model"
        )
    if cap is not None:
        cap.refuse_unpriced(model, backend)
    folder.mkdir(parents=True, exist_ok=True)
    return MeteredChatModel(model, folder / CALLS_FILE, tally, cap)


def spend_line(spend: Spend) -> str:
    """`3 calls, 1,200 tokens, $0.0042` (with failed calls and unknown usage when any)."""
    parts = [f"{spend.calls} calls", f"{spend.tokens:,} tokens", f"${spend.cost_usd:.4f}"]
    if spend.failed:
        parts.append(f"{spend.failed} failed")
    if spend.unreported:
        parts.append(f"{spend.unreported} without usage")
    return ", ".join(parts)
