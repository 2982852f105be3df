"""The gym's ReAct steps: one node written over several steps, one reply (its tool calls) each.

The episode is the ReAct operator's own (`operators.react.ReactEpisode`): the trainer's reply is
applied as the operator applies its model's, in the text protocol (`ACTION:` lines) or, with
`react_tools=native`, as native tool calls (an OpenAI-style assistant message, `TOOLS` giving
the tools' JSON schemas); the tool runs in the node's
folder through the search's pool or sandbox, and an accepted submit (or the end of the turns)
gives the candidate, which is then executed and graded like any gym answer (`gym.attempts`).
Each reply is charged to the node in the usage ledger as a call of the trainer's model whose
tokens are unknown, so the node's calls and its transcript (`meta.react`) read like an
operator's ReAct node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from airlab.backends import Candidate, Completion, Message, Usage
from airlab.backends.base import ToolCall
from airlab.backends.llm.chat import parse_arguments
from airlab.backends.llm.openai_chat import _wire as wire_message
from airlab.errors import NoCodeError
from airlab.failures import Failure
from airlab.gym.attempts import GYM_META
from airlab.journal.calls import CallRecord
from airlab.operators import OPERATORS
from airlab.operators.react import ReactEpisode, TurnOutcome
from airlab.operators.react_tools import TOOL_SPECS
from airlab.runner.search import Proposal, Search, Written

TRAINER_BACKEND = "gym"
"""The backend named in the ledger for a reply the trainer supplied."""


TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
    }
    for t in TOOL_SPECS
]
"""The ReAct tools as chat endpoints take them (`tools=`), for `react_tools=native`."""


def chat_message(message: Message) -> dict[str, Any]:
    """A message as chat endpoints and TRL take it (tool calls, as OpenAI sends them)."""
    return wire_message(message)


Reply = str | Mapping[str, Any]
"""A trainer's reply: text, or an assistant message (`content`, `tool_calls`) as a chat
endpoint returns it, or that message as JSON text."""


def completion_from(reply: Reply, turn: int) -> Completion:
    """The reply as a completion: its text and native tool calls (OpenAI's nested `function`
    form or a flat `name`/`arguments`; arguments a JSON string or an object; a call without an
    id gets `call_<turn>_<i>`)."""
    message: Mapping[str, Any] | None = reply if isinstance(reply, Mapping) else None
    if isinstance(reply, str) and reply.lstrip().startswith("{"):
        try:
            parsed = json.loads(reply)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "tool_calls" in parsed:
            message = parsed
    if message is None:
        return _completion(reply if isinstance(reply, str) else "", ())
    calls = []
    for i, raw in enumerate(message.get("tool_calls") or ()):
        if not isinstance(raw, Mapping):
            continue
        nested = raw.get("function")
        function: Mapping[str, Any] = nested if isinstance(nested, Mapping) else raw
        name = str(function.get("name") or "")
        call_id = str(raw.get("id") or f"call_{turn}_{i}")
        calls.append(ToolCall(call_id, name, parse_arguments(function.get("arguments"))))
    return _completion(str(message.get("content") or ""), tuple(calls))


def _completion(text: str, calls: tuple[ToolCall, ...]) -> Completion:
    return Completion(
        text, Usage(calls=1), finish_reason="stop", usage_reported=False, tool_calls=calls
    )


class ReactNode:
    """The ReAct episode writing one proposed node, a reply at a time."""

    def __init__(self, search: Search, proposal: Proposal, *, native: bool = False) -> None:
        self.search = search
        self.proposal = proposal
        self.native = native
        operator = OPERATORS.get(proposal.node.operator)
        self.episode = ReactEpisode(operator, proposal.context, native=native)
        self.episode.start()
        self._asked_at = time.time()

    @property
    def finished(self) -> bool:
        return self.episode.finished

    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far: system, user, then each reply and its observation."""
        return [chat_message(m) for m in self.episode.messages]

    def turn(self, action: Reply) -> TurnOutcome:
        """Apply the trainer's reply (charged to the node as one call of unknown tokens): text
        in the text protocol; in native mode its tool calls (text alone calls no tool)."""
        self.search.ledger.record(
            CallRecord(
                node_id=self.proposal.node.id,
                purpose=self.episode.purpose,
                backend=TRAINER_BACKEND,
                started_at=self._asked_at,
                finished_at=time.time(),
                usage_reported=False,
            )
        )
        completion = completion_from(action, self.episode.turns + 1)
        if not self.native:  # the text protocol reads the text only
            completion = _completion(completion.text, ())
        outcome = self.episode.turn(completion)
        self._asked_at = time.time()
        return outcome

    def written(self) -> Written:
        """The episode's candidate (the submitted solution.py, else the folder's last one), or
        a no-code failure when the folder never held a solution.py."""
        node_id = self.proposal.node.id
        seconds = self.episode.seconds
        try:
            result = self.episode.result()
        except NoCodeError as exc:
            return Written(node_id, None, seconds, str(exc), Failure.NO_CODE)
        meta = {**result.meta, GYM_META: {"seen_before": node_id}}
        return Written(node_id, Candidate(result.plan, result.code, meta, result.usage), seconds)
