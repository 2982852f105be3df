"""Meter and record every call of a run, and answer a later run from that record.

`MeteredChatModel` stands between a run and its chat model. Before each call it asks the run's
budget guard (so a spent budget refuses the call instead of overshooting); after each call, failed
or not, it charges the call to the node it served (`charging`) in the journal's usage ledger and
appends it to `llm_calls.jsonl`: node, purpose, model, start and end time, retries, usage, the
messages and the answer or error, never a key or a header. A failed call is charged with the
retries it took and what the server billed (a refused answer is billed), and told to the run
(`on_failure`), which stops on a definitive one; until a first call has come back whole, calls go
one at a time, so that a backend that cannot work is found out by one call.

Replay matches a node's calls by node, purpose and order within the node, and other calls by a
hash of their request, so a run recorded with several workers replays; a call with no match stops
the run with the call index and the first field that differs from the call recorded there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlab.backends.base import ChatModel, Completion, Message, ToolCall, ToolSpec, Usage
from airlab.backends.llm.failures import ProviderError, ProviderFailure
from airlab.errors import BackendError, ReplayMismatchError
from airlab.journal.calls import CallRecord
from airlab.journal.store import Ledger

log = logging.getLogger("airlab.backends")

LLM_CALLS_FILE = "llm_calls.jsonl"
SECRET_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
_MEASURED = re.compile(r"\b(ran (?:in|for)) \d+(?:\.\d+)? s\b|(, )\d+\.\d s(\nstdout:)")
"""Wall-clock times a prompt quotes (a parent's runtime, a ReAct command's duration): they differ
between a run and its replay, so requests are matched without them."""


def stable_content(text: str) -> str:
    """`text` with measured durations masked, as replay compares requests."""
    return _MEASURED.sub(lambda m: f"{m[1]} … s" if m[1] else f"{m[2]}… s{m[3]}", text)


def _hashed(message: Message) -> list[Any]:
    item: list[Any] = [message.role, stable_content(message.content)]
    if message.tool_calls:  # only then, so that recordings without tools keep their hashes
        item.append([[c.name, c.arguments] for c in message.tool_calls])
    return item


def request_hash(
    messages: Sequence[Message], purpose: str, tools: Sequence[ToolSpec] | None = None
) -> str:
    request: dict[str, Any] = {"purpose": purpose, "messages": [_hashed(m) for m in messages]}
    if tools:
        request["tools"] = [t.name for t in tools]
    payload = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def message_record(message: Message) -> dict[str, Any]:
    """A message as `llm_calls.jsonl` keeps it (secrets redacted)."""
    record: dict[str, Any] = {"role": message.role, "content": _redact(message.content)}
    if message.tool_calls:
        record["tool_calls"] = [tool_call_record(c) for c in message.tool_calls]
    if message.tool_call_id is not None:
        record["tool_call_id"] = message.tool_call_id
    return record


def tool_call_record(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def tool_calls_from(records: list[dict[str, Any]] | None) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(r["id"], r["name"], dict(r["arguments"])) for r in records or ())


def _redact(text: str) -> str:
    for variable in SECRET_VARIABLES:
        secret = os.environ.get(variable)
        if secret and len(secret) >= 8:
            text = text.replace(secret, "[redacted]")
    return text


@dataclass
class Charge:
    """Where the calls made in a `charging` block go: a node, or (None) the run itself; the
    ids of the calls made, for charging them to a node that exists only afterwards."""

    node_id: int | None
    call_ids: list[int] = field(default_factory=list)


_CHARGE: ContextVar[Charge | None] = ContextVar("airlab_charge", default=None)


@contextmanager
def charging(node_id: int | None) -> Iterator[Charge]:
    """Charge every model call made in this block, on this thread, to `node_id`."""
    charge = Charge(node_id)
    token = _CHARGE.set(charge)
    try:
        yield charge
    finally:
        _CHARGE.reset(token)


BudgetGuard = Callable[[], None]
"""Raises `BudgetExhaustedError` when no further call may be made."""


class MeteredChatModel(ChatModel):
    """Wraps a chat model: checks the budget before each call, charges each call to the ledger
    and appends it to a JSON-lines file as it ends."""

    def __init__(
        self,
        inner: ChatModel,
        path: Path,
        ledger: Ledger | None = None,
        guard: BudgetGuard | None = None,
        *,
        on_failure: Callable[[BackendError], None] | None = None,
    ) -> None:
        self.inner = inner
        self.path = Path(path)
        self.ledger = ledger
        self.guard = guard
        self.on_failure = on_failure
        """Told of every failed call once it is charged (the run stops on a definitive one)."""
        self.name = inner.name
        self._lock = threading.Lock()
        self._count = _count_lines(self.path)
        self._warned_unreported = False
        self._first = threading.Lock()
        self._proven = threading.Event()
        """Set once a call has come back whole. Until then calls go one at a time, so that a
        backend that cannot work (a bad key, an unknown model, no credits) is told by one
        call, not by as many as there are model slots."""

    def describe(self) -> str:
        return self.inner.describe()

    @property
    def supports_tools(self) -> bool:  # type: ignore[override]
        return self.inner.supports_tools

    def route(self, purpose: str) -> ChatModel:
        return self.inner.route(purpose)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        purpose: str = "",
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        if tools:
            call: Callable[[], Completion | None] = lambda: self.inner.complete(  # noqa: E731
                messages, purpose=purpose, tools=tools
            )
        else:
            call = lambda: self.inner.complete(messages, purpose=purpose)  # noqa: E731
        return self._metered(call, messages, purpose, tools=tools)

    def preflight(self) -> Completion | None:
        """One probe per model and endpoint behind the backend (each recorded under its name;
        the same model with other options is not probed again)."""
        answer = None
        probed: set[str] = set()
        for member in self.inner.members():
            if member.needs_preflight and member.describe() not in probed:
                probed.add(member.describe())
                probe = [Message("user", "preflight")]
                answer = self._metered(
                    member.preflight, probe, "preflight", budgeted=False, backend=member.name
                )
        return answer

    def _metered(
        self,
        call: Callable[[], Completion | None],
        messages: Sequence[Message],
        purpose: str,
        *,
        budgeted: bool = True,
        backend: str | None = None,
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        if budgeted and self.guard is not None:
            self.guard()
        if self._proven.is_set():
            return self._call(call, messages, purpose, backend=backend, tools=tools)
        with self._first:  # one call at a time until one has come back whole
            if budgeted and self.guard is not None:
                self.guard()  # again: the call before this one may have stopped the run
            return self._call(call, messages, purpose, backend=backend, tools=tools)

    def _call(
        self,
        call: Callable[[], Completion | None],
        messages: Sequence[Message],
        purpose: str,
        *,
        backend: str | None,
        tools: Sequence[ToolSpec] | None,
    ) -> Completion:
        charge = _CHARGE.get()
        record: dict[str, Any] = {
            "node_id": None if charge is None else charge.node_id,
            "purpose": purpose,
            "request_hash": request_hash(messages, purpose, tools),
            "backend": backend or self.inner.route(purpose).name,
            "messages": [message_record(m) for m in messages],
        }
        if tools:
            record["tools"] = [t.name for t in tools]
        started = time.time()
        try:
            completion = call()
        except BackendError as exc:
            if isinstance(exc, ProviderError):
                record["failure"] = exc.kind.value
                record["retries"] = exc.retries
                record["usage"] = dataclasses.asdict(exc.usage)
                record["usage_reported"] = exc.usage_reported
            self._charge(record, started, charge, error=exc)
            if self.on_failure is not None:
                self.on_failure(exc)
            raise
        assert completion is not None
        record["response"] = {
            "text": _redact(completion.text),
            "model": completion.model,
            "finish_reason": completion.finish_reason,
            "usage": dataclasses.asdict(completion.usage),
            "usage_reported": completion.usage_reported,
            "priced": completion.priced,
            "retries": completion.retries,
        }
        if completion.abandoned:
            record["response"]["abandoned"] = completion.abandoned
        if completion.tool_calls:
            record["response"]["tool_calls"] = [tool_call_record(c) for c in completion.tool_calls]
        self._charge(record, started, charge, completion=completion)
        self._proven.set()
        return completion

    def _charge(
        self,
        record: dict[str, Any],
        started: float,
        charge: Charge | None,
        *,
        completion: Completion | None = None,
        error: BackendError | None = None,
    ) -> None:
        finished = time.time()
        record["model"] = completion.model if completion else ""
        record["started_at"], record["finished_at"] = started, finished
        record["latency_s"] = round(finished - started, 4)
        if error is not None:
            record["error"] = _redact(str(error))
            record["fatal"] = error.fatal
        failed = error if isinstance(error, ProviderError) else None
        if completion is not None:
            usage, reported, priced = completion.usage, completion.usage_reported, completion.priced
            retries, model = completion.retries, completion.model
        elif failed is not None:
            usage, reported, priced = failed.usage, failed.usage_reported, failed.priced
            retries, model = failed.retries, failed.model
        else:
            usage, reported, priced, retries, model = Usage(), True, True, 0, ""
        if not reported:
            self._warn_unreported(record)
        if self.ledger is not None:
            call = self.ledger.record(
                CallRecord(
                    node_id=record["node_id"],
                    purpose=record["purpose"],
                    backend=record["backend"],
                    model=model,
                    started_at=started,
                    finished_at=finished,
                    tokens_in=usage.tokens_in,
                    tokens_out=usage.tokens_out,
                    cost_usd=usage.cost_usd,
                    cached_in=usage.cached_in,
                    cache_write_in=usage.cache_write_in,
                    reasoning_out=usage.reasoning_out,
                    usage_reported=reported,
                    priced=priced,
                    retries=retries,
                    error=record.get("error"),
                    fatal=bool(record.get("fatal", False)),
                )
            )
            record["call_id"] = call.id
            if charge is not None:
                charge.call_ids.append(call.id)
        self._append(record)

    def _warn_unreported(self, record: dict[str, Any]) -> None:
        """Say so live, once, when the first call's usage is unknown."""
        with self._lock:
            if self._warned_unreported:
                return
            self._warned_unreported = True
        log.warning(
            "%s: a %s call came back without usage, or was abandoned at its timeout (the server "
            "bills it all the same): its tokens are unknown; a run with --tokens or --cost stops "
            "(its budget cannot be measured), others go on and count such calls in result.json",
            record["backend"],
            record["purpose"] or "model",
        )

    def _append(self, record: dict[str, Any]) -> None:
        with self._lock:
            record = {"index": self._count, **record}
            self._count += 1
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")


class ReplayChatModel(ChatModel):
    """Answers from a run's recorded calls, with no network.

    A call made for a node is answered by the recorded call of the same node and purpose, the
    k-th such call for the k-th (a draft, its reminder, its analysis), even when its prompt
    differs: with several workers, which candidates had finished when a prompt was written
    (its memory) depends on timing. Calls made for no node (a policy's choice) and calls with
    no such record are matched by the hash of their request."""

    def __init__(self, source: Path) -> None:
        source = Path(source)
        self.path = source / LLM_CALLS_FILE if source.is_dir() else source
        if not self.path.is_file():
            raise BackendError(f"replay: {self.path}: no recorded calls (not an LLM run?)")
        self.name = f"replay/{source}"
        self.records = _read_records(self.path)
        self._queues: dict[str, deque[int]] = defaultdict(deque)
        self._by_node: dict[tuple[int, str], deque[int]] = defaultdict(deque)
        for position, record in enumerate(self.records):
            self._queues[record["request_hash"]].append(position)
            if record.get("node_id") is not None:
                self._by_node[(record["node_id"], record["purpose"])].append(position)
        self._used: set[int] = set()
        self.changed = 0
        """Calls answered by node and purpose although their request differs."""
        self._served = 0
        self._lock = threading.Lock()
        self.supports_tools = any("tools" in record for record in self.records)
        """A run that called tools natively replays natively."""

    def describe(self) -> str:
        return f"replay of {self.path} ({len(self.records)} calls)"

    def complete(
        self,
        messages: Sequence[Message],
        *,
        purpose: str = "",
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        key = request_hash(messages, purpose, tools)
        charge = _CHARGE.get()
        node_id = None if charge is None else charge.node_id
        with self._lock:
            index = self._served
            self._served += 1
            position = None
            if node_id is not None:
                position = self._take(self._by_node.get((node_id, purpose)))
            if position is None:
                position = self._take(self._queues.get(key))
            if position is None:
                raise ReplayMismatchError(self._mismatch(index, messages, purpose))
            record = self.records[position]
            if record["request_hash"] != key:
                self.changed += 1
                log.info(
                    "replay: call %d (%s) of node %s answered by node", index, purpose, node_id
                )
        if "error" in record:
            raise _recorded_error(record)
        response = record["response"]
        return Completion(
            text=response["text"],
            usage=Usage(**response["usage"]),
            model=response["model"],
            finish_reason=response["finish_reason"],
            tool_calls=tool_calls_from(response.get("tool_calls")),
        )

    def _take(self, queue: deque[int] | None) -> int | None:
        """The first record of `queue` not served yet (it is then served)."""
        while queue:
            position = queue.popleft()
            if position not in self._used:
                self._used.add(position)
                return position
        return None

    def _mismatch(self, index: int, messages: Sequence[Message], purpose: str) -> str:
        where = f"replay of {self.path}: call {index} ({purpose or 'no purpose'})"
        if index >= len(self.records):
            return f"{where} was never recorded: the recording holds {len(self.records)} calls"
        recorded = self.records[index]
        difference = _first_difference(recorded, messages, purpose)
        return f"{where} differs from the recording: {difference}"


def _recorded_error(record: dict[str, Any]) -> BackendError:
    """A recorded failure raised again as it was classified, billed as it was."""
    if "failure" not in record:
        return BackendError(record["error"], fatal=bool(record.get("fatal", False)))
    return ProviderError(
        record["error"],
        ProviderFailure(record["failure"]),
        retries=int(record.get("retries", 0)),
        usage=Usage(**record["usage"]) if record.get("usage") else None,
        usage_reported=bool(record.get("usage_reported", True)),
        model=record.get("model", ""),
    )


def _first_difference(recorded: dict[str, Any], messages: Sequence[Message], purpose: str) -> str:
    if recorded["purpose"] != purpose:
        return f"purpose: recorded {recorded['purpose']!r}, now {purpose!r}"
    old = recorded["messages"]
    if len(old) != len(messages):
        return f"number of messages: recorded {len(old)}, now {len(messages)}"
    for position, (before, now) in enumerate(zip(old, messages, strict=True)):
        if before["role"] != now.role:
            return f"messages[{position}].role: recorded {before['role']!r}, now {now.role!r}"
        recorded_content, content = stable_content(before["content"]), stable_content(now.content)
        if recorded_content != content:
            old_lines, new_lines = recorded_content.splitlines(), content.splitlines()
            for line, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
                if a != b:
                    return (
                        f"messages[{position}].content line {line}: recorded {a[:120]!r}, "
                        f"now {b[:120]!r}"
                    )
            return (
                f"messages[{position}].content: recorded {len(old_lines)} lines, "
                f"now {len(new_lines)}"
            )
    return "the request matches a call already replayed (it was made more often than recorded)"


def _read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise BackendError(f"{path}: line {number} is not valid JSON") from None
        if "request_hash" not in record or ("response" not in record and "error" not in record):
            raise BackendError(f"{path}: line {number} is not a recorded call")
        records.append(record)
    return records


def _count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8") as stream:
        return sum(1 for line in stream if line.strip())
