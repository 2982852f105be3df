"""Backends: where candidate code comes from, chosen by one string such as `templates`.

A backend string is `provider` or `provider/model`; each provider registers a factory taking the
model part and its typed options (`-B key=value`, validated against the Params model it was
registered with). LLM providers and replay live in `backends.llm`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

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
from airlab.backends.llm import (
    LLMSettings,
    make_anthropic,
    make_openai,
    make_openai_compatible,
    make_replay,
)
from airlab.backends.templates import TemplatesBackend
from airlab.errors import BackendError
from airlab.params import Params
from airlab.registry import Registry

BackendFactory = Callable[[str | None, Any], Backend]
"""`factory(model, params)`: the model part of the backend string (or None) and the options,
an instance of the Params model the factory was registered with
(`BACKENDS.register(name, factory, params=MyParams)`). A factory registered without one gets
the raw dict and checks it itself, as before typed params."""
BACKENDS: Registry[BackendFactory] = Registry(
    "backend", error=BackendError, group="airlab.backends"
)


class TemplatesParams(Params):
    bug_rate: float = Field(0.15, ge=0, le=1)
    """Chance that a written script carries a bug (a missing import, a misspelt column, ...),
    so that debug chains are exercised too."""
    jump_rate: float = Field(0.0, ge=0, le=1)
    """Chance that an improve step tries a hyperparameter anywhere in its range instead of a
    small step from its value (0: small steps only)."""
    tune_rate: float = Field(0.0, ge=0, le=1)
    """Chance that an improve step hands an untuned model to a randomized search of all its
    hyperparameters, run by the script on folds of the training data (0: never)."""


def _templates(model: str | None, params: TemplatesParams) -> Backend:
    if model:
        raise BackendError(f"backend 'templates' takes no model, got 'templates/{model}'")
    return TemplatesBackend(
        bug_rate=params.bug_rate, jump_rate=params.jump_rate, tune_rate=params.tune_rate
    )


BACKENDS.register("templates", _templates, params=TemplatesParams)
for _provider, _factory in (
    ("openai", make_openai),
    ("anthropic", make_anthropic),
    ("openai-compatible", make_openai_compatible),
    ("replay", make_replay),
):
    BACKENDS.register(_provider, _factory, params=LLMSettings)


def make_backend(spec: str, options: Mapping[str, Any] | None = None) -> Backend:
    """Build a backend from `provider` or `provider/model` and its raw options."""
    provider, _, model = spec.partition("/")
    factory = BACKENDS.get(provider)
    if not BACKENDS.declares_params(provider):  # a factory registered before typed params
        return factory(model or None, dict(options or {}))
    params = BACKENDS.parse_params(provider, options, owner=f"backend {spec!r}")
    return factory(model or None, params)


__all__ = [
    "BACKENDS",
    "Backend",
    "Candidate",
    "ChatModel",
    "Completion",
    "Message",
    "ProgramWriter",
    "TemplatesBackend",
    "TemplatesParams",
    "Usage",
    "WriteRequest",
    "make_backend",
]
