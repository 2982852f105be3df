"""Where candidate code comes from.

Two kinds of backend stand behind one name registry:
- a `ProgramWriter` writes candidates directly from a structured request (the offline templates);
- a chat model answers prompts that the operators render (LLM providers, record/replay).
Operators know both kinds; policies and the runner know neither.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from airlab.journal.node import Node
from airlab.tasks.task import Task

if TYPE_CHECKING:
    from airlab.lessons.store import RetrievedLesson
    from airlab.operators.options import OperatorOptions


@dataclass(frozen=True)
class Usage:
    """Tokens and money one candidate cost."""

    tokens_in: int = 0
    """Every input token, cached or not."""
    tokens_out: int = 0
    """Every output token, reasoning included."""
    cost_usd: float = 0.0
    calls: int = 0
    cached_in: int = 0
    """Input tokens read from the provider's prompt cache (billed at the cached price)."""
    cache_write_in: int = 0
    """Input tokens written to the prompt cache (Anthropic bills them above the input price)."""
    reasoning_out: int = 0
    """Output tokens the model spent thinking (OpenAI reasoning models)."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            *(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__)
        )


@dataclass(frozen=True)
class Candidate:
    """A solution written by an operator: what it intends (plan) and the script (code)."""

    plan: str
    code: str
    meta: dict[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    edit: str | None = None
    """SEARCH/REPLACE blocks against the first parent's code, written instead of `code` (a
    program writer under `edit_format=diff`); the operator applies them and fills `code`."""


@dataclass(frozen=True)
class WriteRequest:
    """Everything a program writer may use to write one candidate."""

    operator: str
    task: Task
    parents: tuple[Node, ...]
    history: tuple[Node, ...]
    """Earlier nodes of the run (memory), oldest first; hidden select/test scores removed."""
    seed: int
    node_id: int
    options: OperatorOptions = field(default_factory=lambda: _parse_options(None))
    """The run's operator options, typed (a mapping given here is validated into them)."""
    lessons: tuple[RetrievedLesson, ...] = ()
    """Lessons from earlier tasks the run retrieved (`airlab.lessons`); a writer may use them."""
    idea: dict[str, Any] | None = None
    """For a draft written from the run's ideation step: the idea (`family`, `plan`, and what
    the backend that proposed it keeps, e.g. the templates' recipe)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _parse_options(self.options))


def _parse_options(raw: Any) -> OperatorOptions:
    # Imported here: airlab.operators imports this module.
    from airlab.operators.options import parse_operator_options

    return parse_operator_options(raw)


class Backend(abc.ABC):  # noqa: B024 - the two kinds below hold the abstract methods
    """Base of every backend."""

    name: str = "abstract"

    def describe(self) -> str:
        return self.name


class ProgramWriter(Backend):
    """A backend that writes candidates from structured requests, without prompts."""

    @abc.abstractmethod
    def write(self, request: WriteRequest) -> Candidate:
        """Write one candidate for `request.operator` applied to `request.parents`."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool a model may call natively: its name, what it does, its JSON-schema arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One call of a tool in a model's answer (several may come at once)."""

    id: str
    name: str
    arguments: dict[str, Any]
    """The parsed arguments; `{"_unparsed": TEXT}` when the model sent no valid JSON object."""


@dataclass(frozen=True)
class Message:
    """One chat message. A `tool` message answers the tool call `tool_call_id`; an assistant
    message may carry the tool calls it made."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    cache_prefix: int = 0
    """Characters at the start of `content` that every call of the run repeats (the task and
    its data preview): providers with explicit prompt caching mark them (Anthropic)."""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Completion:
    """A chat model's answer with what it cost."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str | None = None
    usage_reported: bool = True
    """False when the server sent no `usage`: the tokens are unknown, not zero."""
    priced: bool = True
    """False when the model has no price in the table: the cost is unknown, not zero."""
    retries: int = 0
    """Attempts that failed transiently (429, 5xx, timeouts) before this answer."""
    tool_calls: tuple[ToolCall, ...] = ()
    """Native tool calls of the answer, in order (only when the call offered tools)."""
    abandoned: int = 0
    """Attempts the client gave up on at its timeout before this answer: the server may have
    billed them, so the call's true usage is unknown (`usage_reported` is then False)."""


class ChatModel(Backend):
    """A backend that answers prompts (LLM providers, record/replay). Operators render the
    prompts and parse the answers; policies such as LLM-first search may ask it to choose."""

    supports_tools: bool = False
    """Whether `complete` takes `tools` (native tool calling); callers pass `tools` only then."""

    @abc.abstractmethod
    def complete(
        self,
        messages: Sequence[Message],
        *,
        purpose: str = "",
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        """Answer `messages`. `purpose` (e.g. "draft", "choose") labels the call in records.
        `tools` offers native tool calls; callers pass it only to a model with
        `supports_tools` (others may ignore it)."""

    needs_preflight: bool = False
    """Whether `preflight` proves anything (a network provider); replay and scripted models
    answer locally."""

    def preflight(self) -> Completion | None:
        """One cheap call that proves the backend answers (key, model, server)."""
        return None

    def route(self, purpose: str) -> ChatModel:
        """The model that answers calls of `purpose` (itself; a router picks one per purpose)."""
        return self

    def members(self) -> tuple[ChatModel, ...]:
        """Every distinct model behind this one (itself; a router lists its models)."""
        return (self,)
