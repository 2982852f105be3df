"""Anthropic messages API."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, ClassVar

from airlab.backends.base import Message
from airlab.backends.llm.chat import ProviderChatModel, RawAnswer
from airlab.backends.llm.settings import LLMSettings


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

    def _make_client(self, sdk: ModuleType, api_key: str | None) -> Any:
        return sdk.Anthropic(
            api_key=api_key,
            base_url=self.settings.base_url,
            timeout=self.settings.timeout_s,
            max_retries=0,
        )

    def _send(self, client: Any, messages: Sequence[Message], params: dict[str, Any]) -> Any:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns: list[dict[str, str]] = []
        for message in messages:
            if message.role == "system":
                continue
            if turns and turns[-1]["role"] == message.role:  # the API wants alternating turns
                turns[-1]["content"] += "\n\n" + message.content
            else:
                turns.append({"role": message.role, "content": message.content})
        extra_body = {k: params[k] for k in ("temperature", "top_p") if k in params}
        optional: dict[str, Any] = {}
        if system:
            optional["system"] = system
        if "reasoning_effort" in params:
            optional["output_config"] = {"effort": params["reasoning_effort"]}
        if extra_body:
            optional["extra_body"] = extra_body
        return client.messages.create(
            model=self.model,
            max_tokens=params.get("max_tokens", self.settings.max_tokens),
            messages=turns,
            **optional,
        )

    def _read(self, response: Any) -> RawAnswer:
        text = "".join(
            block.text for block in response.content if getattr(block, "type", "") == "text"
        )
        usage = response.usage
        return RawAnswer(
            text=text,
            tokens_in=int(usage.input_tokens) if usage else 0,
            tokens_out=int(usage.output_tokens) if usage else 0,
            model=str(response.model or self.model),
            finish_reason=response.stop_reason,
            usage_reported=usage is not None,
        )
