"""Per-purpose models: one chat model per kind of call, as AIDE (code vs feedback model) and
aira-dojo (a client per operator) configure them.

A run names a default backend (`backend`) and, optionally, another model for some purposes
(`models: {analysis: openai/gpt-4o-mini}`) and options for some purposes (`model_options:
{analysis: {temperature: 0}}`). Every model gets the run's `backend_options`, a purpose's own
options override them. Calls are routed by their purpose label: `draft-reminder` goes where
`draft` goes (and `improve-whole`, a diff step's fallback, where `improve` goes), `react-improve`
to `react` when it is set, else to `improve`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from airlab.backends.base import Backend, ChatModel, Completion, Message, ToolSpec
from airlab.errors import ConfigError


class Purpose(enum.StrEnum):
    """What a model may be chosen for."""

    DRAFT = "draft"
    IMPROVE = "improve"
    DEBUG = "debug"
    CROSSOVER = "crossover"
    ANALYSIS = "analysis"
    CHOOSE = "choose"
    IDEATE = "ideate"
    REACT = "react"
    LESSONS = "lessons"
    """The lessons a run leaves for later tasks, written when it ends (`airlab.lessons`)."""
    JUDGE = "judge"
    """A rubric judge's calls (plan and revision tasks): `--model judge=...` picks its model."""
    CRITIQUE = "critique"
    """The critique before a revise (plan and revision tasks, `-O critique=true`)."""


PURPOSES = tuple(p.value for p in Purpose)


def route_keys(purpose: str) -> tuple[str, ...]:
    """The routes that may answer a call labelled `purpose`, most specific first."""
    base = purpose.removesuffix("-reminder").removesuffix("-whole")
    if base.startswith("react-"):
        return (Purpose.REACT.value, base.removeprefix("react-"))
    return (base,)


def check_purposes(mapping: Mapping[str, Any], field: str) -> None:
    for key in mapping:
        if key not in PURPOSES:
            raise ConfigError(f"{field}: unknown purpose {key!r} (known: {', '.join(PURPOSES)})")


class RoutedChatModel(ChatModel):
    """Sends each call to the model chosen for its purpose, else to the default one."""

    def __init__(self, default: ChatModel, routes: Mapping[str, ChatModel]) -> None:
        self.default = default
        self.routes = dict(routes)
        self.name = default.name
        self.needs_preflight = any(m.needs_preflight for m in self.members())

    @property
    def supports_tools(self) -> bool:  # type: ignore[override]
        return all(getattr(m, "supports_tools", False) for m in self.members())

    def route(self, purpose: str) -> ChatModel:
        for key in route_keys(purpose):
            if key in self.routes:
                return self.routes[key]
        return self.default

    def members(self) -> tuple[ChatModel, ...]:
        seen: dict[int, ChatModel] = {id(self.default): self.default}
        for model in self.routes.values():
            seen.setdefault(id(model), model)
        return tuple(seen.values())

    def describe(self) -> str:
        return f"{self.default.describe()} (and per-purpose models)"

    def complete(
        self,
        messages: Sequence[Message],
        *,
        purpose: str = "",
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        if tools is None:
            return self.route(purpose).complete(messages, purpose=purpose)
        return self.route(purpose).complete(messages, purpose=purpose, tools=tools)


def build_chat_backend(
    backend: str,
    options: Mapping[str, Any],
    models: Mapping[str, str],
    model_options: Mapping[str, Mapping[str, Any]],
) -> Backend:
    """The run's backend: the default one, wrapped in a router when some purpose has its own
    model or options. A replay answers every purpose from its recording, so it is not routed."""
    from airlab.backends import make_backend

    check_purposes(models, "models")
    check_purposes(model_options, "model_options")
    default = make_backend(backend, options)
    if backend.startswith("replay/") or not (models or model_options):
        return default
    if not isinstance(default, ChatModel):
        raise ConfigError(
            f"models/model_options: backend {backend!r} is not a chat model, so it has no "
            "per-purpose models"
        )
    built: dict[tuple[str, str], ChatModel] = {}
    routes: dict[str, ChatModel] = {}
    for purpose in PURPOSES:
        if purpose not in models and purpose not in model_options:
            continue
        spec = models.get(purpose, backend)
        own = dict(model_options.get(purpose, {}))
        key = (spec, repr(sorted(own.items())))
        if key not in built:
            model = (
                default if (spec == backend and not own) else make_backend(spec, {**options, **own})
            )
            if not isinstance(model, ChatModel):
                raise ConfigError(f"models.{purpose}: {spec!r} is not a chat model")
            built[key] = model
        routes[purpose] = built[key]
    return RoutedChatModel(default, routes)


def model_map(backend: Backend) -> dict[str, str]:
    """Purpose → model name, for the header and result.json ({} for an unrouted backend)."""
    inner = getattr(backend, "inner", backend)
    if not isinstance(inner, RoutedChatModel):
        return {}
    return {purpose: inner.route(purpose).name for purpose in PURPOSES}
