"""Anthropic messages API: extended thinking (`thinking.budget_tokens`), prompt caching
(`cache_control` on the system prompt and on the task that opens every prompt of a run), and
streaming for long calls (the SDK's stream, read to its final message)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import ModuleType
from typing import Any, ClassVar

from airlab.backends.base import Message, ToolCall, ToolSpec
from airlab.backends.llm.chat import ProviderChatModel, RawAnswer, parse_arguments, read_answer
from airlab.backends.llm.settings import DEFAULT_MAX_TOKENS, LLMSettings
from airlab.errors import BackendError

log = logging.getLogger("airlab.backends")
EPHEMERAL = {"type": "ephemeral"}


class AnthropicChat(ProviderChatModel):
    sdk_name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    wire_names: ClassVar[dict[str, tuple[str, ...]]] = {
        "temperature": ("temperature",),
        "top_p": ("top_p",),
        "reasoning_effort": ("effort", "output_config"),
    }

    def __init__(self, model: str, settings: LLMSettings) -> None:
        super().__init__("anthropic", model, settings)
        if settings.seed is not None:  # a run's global options may carry one for other models
            log.warning("%s: Anthropic's API takes no seed; not sending it", self.name)
            self._dropped.add("seed")
        budget = settings.thinking_budget
        self.supports_tools = budget is None
        """With extended thinking the API wants each turn's thinking blocks sent back with its
        tool results, which messages here do not keep: ReAct then uses the text protocol."""
        if budget is not None:
            if self.max_tokens <= budget:
                raise BackendError(
                    f"backend 'anthropic/{model}': max_tokens ({self.max_tokens}) must exceed "
                    f"thinking_budget ({budget})"
                )
            refused = [k for k in ("temperature", "top_p") if getattr(settings, k) is not None]
            if refused:
                log.warning("%s: extended thinking; not sending %s", self.name, refused)
            self._dropped.update({"temperature", "top_p"})

    def _default_max_tokens(self) -> int:
        """With extended thinking, room for the thinking and for an answer after it."""
        budget = self.settings.thinking_budget
        return DEFAULT_MAX_TOKENS + budget if budget else DEFAULT_MAX_TOKENS

    def _make_client(self, sdk: ModuleType, api_key: str | None) -> Any:
        return sdk.Anthropic(
            api_key=api_key,
            base_url=self.settings.base_url,
            timeout=self.settings.timeout_s,
            max_retries=0,
        )

    def _send(
        self,
        client: Any,
        messages: Sequence[Message],
        params: dict[str, Any],
        tools: tuple[ToolSpec, ...] = (),
    ) -> Any:
        cache = self.settings.prompt_cache
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns: list[dict[str, Any]] = []
        for message in messages:
            if message.role == "system":
                continue
            blocks = _blocks(message, cache and not turns)
            role = "user" if message.role == "tool" else message.role  # results are user turns
            if turns and turns[-1]["role"] == role:  # the API wants alternating turns
                turns[-1]["content"] += blocks
            else:
                turns.append({"role": role, "content": blocks})
        extra_body = {k: params[k] for k in ("temperature", "top_p") if k in params}
        max_tokens = int(params.get("max_tokens", self.max_tokens))
        optional: dict[str, Any] = {}
        if system:
            block: dict[str, Any] = {"type": "text", "text": system}
            if cache:
                block["cache_control"] = EPHEMERAL
            optional["system"] = [block]
        if "reasoning_effort" in params:
            optional["output_config"] = {"effort": params["reasoning_effort"]}
        budget = self.settings.thinking_budget
        if budget is not None and max_tokens > budget:  # not in the 16-token preflight
            optional["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if extra_body:
            optional["extra_body"] = extra_body
        if tools:
            optional["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in tools
            ]
        request = {"model": self.model, "max_tokens": max_tokens, "messages": turns, **optional}
        if not self.settings.streams(max_tokens):
            return client.messages.create(**request)
        with client.messages.stream(**request) as stream:
            return stream.get_final_message()

    def _read(self, response: Any) -> RawAnswer:
        texts = [block.text for block in response.content if getattr(block, "type", "") == "text"]
        usage = response.usage
        cached = _count(usage, "cache_read_input_tokens")
        written = _count(usage, "cache_creation_input_tokens")
        return read_answer(
            "".join(texts) if texts else None,  # None: no text block at all
            response.stop_reason,
            tokens_in=int(usage.input_tokens) + cached + written if usage else 0,
            tokens_out=int(usage.output_tokens) if usage else 0,
            model=str(response.model or self.model),
            usage_reported=usage is not None,
            cached_in=cached,
            cache_write_in=written,
            tool_calls=tuple(
                ToolCall(block.id, block.name, parse_arguments(block.input))
                for block in response.content
                if getattr(block, "type", "") == "tool_use"
            ),
        )


def _blocks(message: Message, first: bool) -> list[dict[str, Any]]:
    """A message as content blocks; the first one's cacheable prefix gets its own block,
    marked for the cache."""
    if message.role == "tool":
        result = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        return [{**result, "content": message.content}]
    if message.tool_calls:
        text_blocks = [{"type": "text", "text": message.content}] if message.content else []
        return text_blocks + [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
            for c in message.tool_calls
        ]
    text = message.content or "(empty)"  # the API refuses empty text blocks
    prefix = message.cache_prefix
    if first and 0 < prefix < len(text):
        return [
            {"type": "text", "text": text[:prefix], "cache_control": EPHEMERAL},
            {"type": "text", "text": text[prefix:]},
        ]
    return [{"type": "text", "text": text}]


def _count(usage: Any, name: str) -> int:
    value = getattr(usage, name, None) if usage is not None else None
    return int(value) if isinstance(value, int) else 0
