"""LLM backends: OpenAI, Anthropic, OpenAI-compatible servers, and replay of a recorded run.

Spellings: `openai/MODEL`, `anthropic/MODEL`, `openai-compatible/MODEL@URL` (vLLM, llama.cpp,
Ollama, SGLang), `replay/RUN_DIR`. Options (`-B key=value`) are in `settings.LLMSettings`.
"""

from __future__ import annotations

import re
from pathlib import Path

from airlab.backends.base import Backend
from airlab.backends.llm.anthropic_chat import AnthropicChat
from airlab.backends.llm.chat import ProviderChatModel
from airlab.backends.llm.openai_chat import OpenAIChat
from airlab.backends.llm.record import LLM_CALLS_FILE, MeteredChatModel, ReplayChatModel
from airlab.backends.llm.settings import LLMSettings, parse_settings
from airlab.errors import BackendError

_MODEL_AT_URL = re.compile(r"^(?P<model>[^@]+)@(?P<url>https?://\S+)$")


def _needs_model(provider: str, model: str | None, example: str) -> str:
    if not model:
        raise BackendError(f"backend {provider!r} needs a model, e.g. {example}")
    return model


def _ready(chat: ProviderChatModel) -> ProviderChatModel:
    chat.check()
    return chat


def make_openai(model: str | None, settings: LLMSettings) -> Backend:
    model = _needs_model("openai", model, "openai/gpt-4o-mini")
    return _ready(OpenAIChat(model, settings))


def make_anthropic(model: str | None, settings: LLMSettings) -> Backend:
    model = _needs_model("anthropic", model, "anthropic/claude-sonnet-4-5")
    return _ready(AnthropicChat(model, settings))


def make_openai_compatible(model: str | None, settings: LLMSettings) -> Backend:
    example = "openai-compatible/qwen2.5-coder@http://localhost:8000/v1"
    spec = _needs_model("openai-compatible", model, example)
    match = _MODEL_AT_URL.match(spec)
    if match is None:
        raise BackendError(
            f"backend 'openai-compatible/{spec}': expected MODEL@URL, e.g. {example}"
        )
    settings = settings.model_copy(update={"base_url": match["url"]})
    chat = OpenAIChat(match["model"], settings, provider="openai-compatible", local=True)
    return _ready(chat)


def make_replay(path: str | None, settings: LLMSettings) -> Backend:
    """The recorded model's options are checked (a replay run made from the recorded
    config.yaml carries them) and ignored."""
    source = _needs_model("replay", path, "replay/runs/20250101-120000-digits-greedy")
    return ReplayChatModel(Path(source))


__all__ = [
    "LLM_CALLS_FILE",
    "AnthropicChat",
    "LLMSettings",
    "MeteredChatModel",
    "OpenAIChat",
    "ReplayChatModel",
    "make_anthropic",
    "make_openai",
    "make_openai_compatible",
    "make_replay",
    "parse_settings",
]
