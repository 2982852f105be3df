"""The gym's ReAct steps: one node written over several steps, one reply (one tool call) each.

The episode is the ReAct operator's own (`operators.react.ReactEpisode`, text protocol): the
trainer's reply is applied as the operator applies its model's, the tool runs in the node's
folder through the search's pool or sandbox, and an accepted submit (or the end of the turns)
gives the candidate, which is then executed and graded like any gym answer (`gym.attempts`).
Each reply is charged to the node in the usage ledger as a call of the trainer's model whose
tokens are unknown, so the node's calls and its transcript (`meta.react`) read like an
operator's ReAct node.
"""

from __future__ import annotations

import time
from typing import Any

from airlab.backends import Candidate, Completion, Message, Usage
from airlab.errors import NoCodeError
from airlab.failures import Failure
from airlab.gym.attempts import GYM_META
from airlab.journal.calls import CallRecord
from airlab.operators import OPERATORS
from airlab.operators.react import ReactEpisode, TurnOutcome
from airlab.runner.search import Proposal, Search, Written

TRAINER_BACKEND = "gym"
"""The backend named in the ledger for a reply the trainer supplied."""


def chat_message(message: Message) -> dict[str, Any]:
    """A message as chat endpoints and TRL take it."""
    entry: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_call_id is not None:
        entry["tool_call_id"] = message.tool_call_id
    return entry


class ReactNode:
    """The ReAct episode writing one proposed node, a reply at a time."""

    def __init__(self, search: Search, proposal: Proposal) -> None:
        self.search = search
        self.proposal = proposal
        operator = OPERATORS.get(proposal.node.operator)
        self.episode = ReactEpisode(operator, proposal.context, native=False)
        self.episode.start()
        self._asked_at = time.time()

    @property
    def finished(self) -> bool:
        return self.episode.finished

    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far: system, user, then each reply and its observation."""
        return [chat_message(m) for m in self.episode.messages]

    def turn(self, action: str) -> TurnOutcome:
        """Apply the trainer's reply (charged to the node as one call of unknown tokens)."""
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
        completion = Completion(action, Usage(calls=1), finish_reason="stop", usage_reported=False)
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
