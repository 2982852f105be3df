"""Backends: where candidate code comes from, chosen by one string such as `templates`.

A backend string is `provider` or `provider/model`; each provider registers a factory taking the
model part and a dict of options. LLM providers and replay live in `backends.llm`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airlab.backends.base import (
    Backend,
    Candidate,
    ChatModel,
    Completion,
    Message,
    ProgramWriter,
    Usage,
    WriteRequest,
)
from airlab.backends.llm import make_anthropic, make_openai, make_openai_compatible, make_replay
from airlab.backends.templates import TemplatesBackend
from airlab.errors import BackendError
from airlab.registry import Registry

BackendFactory = Callable[[str | None, dict[str, Any]], Backend]
BACKENDS: Registry[BackendFactory] = Registry("backend")


def _templates(model: str | None, options: dict[str, Any]) -> Backend:
    if model:
        raise BackendError(f"backend 'templates' takes no model, got 'templates/{model}'")
    unknown = set(options) - {"bug_rate"}
    if unknown:
        raise BackendError(f"backend 'templates': unknown option {sorted(unknown)[0]!r}")
    return TemplatesBackend(bug_rate=float(options.get("bug_rate", 0.15)))


BACKENDS.register("templates", _templates)
BACKENDS.register("openai", make_openai)
BACKENDS.register("anthropic", make_anthropic)
BACKENDS.register("openai-compatible", make_openai_compatible)
BACKENDS.register("replay", make_replay)


def make_backend(spec: str, options: dict[str, Any] | None = None) -> Backend:
    """Build a backend from `provider` or `provider/model`."""
    provider, _, model = spec.partition("/")
    factory = BACKENDS.get(provider)
    return factory(model or None, dict(options or {}))


__all__ = [
    "BACKENDS",
    "Backend",
    "Candidate",
    "ChatModel",
    "Completion",
    "Message",
    "ProgramWriter",
    "TemplatesBackend",
    "Usage",
    "WriteRequest",
    "make_backend",
]
