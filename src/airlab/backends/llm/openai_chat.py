"""OpenAI chat completions, and every server that speaks them (vLLM, llama.cpp, Ollama, SGLang)."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, ClassVar

from airlab.backends.base import Message
from airlab.backends.llm.chat import ProviderChatModel, RawAnswer
from airlab.backends.llm.settings import LLMSettings

LOCAL_KEY = "not-needed"
"""Local servers ignore the key, but the SDK insists on one."""


class OpenAIChat(ProviderChatModel):
    sdk_name = "openai"
    key_env = "OPENAI_API_KEY"
    wire_names: ClassVar[dict[str, tuple[str, ...]]] = {
        "temperature": ("temperature",),
        "top_p": ("top_p",),
        "max_tokens": ("max_tokens", "max_completion_tokens"),
        "reasoning_effort": ("reasoning_effort", "reasoning.effort"),
    }

    def __init__(
        self, model: str, settings: LLMSettings, *, provider: str = "openai", local: bool = False
    ) -> None:
        super().__init__(provider, model, settings)
        self.local = local
        self._max_tokens_field = "max_tokens"

    @property
    def key_required(self) -> bool:
        return not self.local

    def _key_variable(self) -> str | None:
        """A local server gets a key only when asked (`api_key_env`): never the OpenAI key."""
        return self.settings.api_key_env if self.local else super()._key_variable()

    def _make_client(self, sdk: ModuleType, api_key: str | None) -> Any:
        return sdk.OpenAI(
            api_key=api_key or LOCAL_KEY,
            base_url=self.settings.base_url,
            timeout=self.settings.timeout_s,
            max_retries=0,
        )

    def _adapt(self, parameter: str, message: str) -> bool:
        """Reasoning models want `max_completion_tokens` in place of `max_tokens`."""
        if (
            parameter == "max_tokens"
            and self._max_tokens_field == "max_tokens"
            and "max_completion_tokens" in message
        ):
            self._max_tokens_field = "max_completion_tokens"
            return True
        return False

    def _send(self, client: Any, messages: Sequence[Message], params: dict[str, Any]) -> Any:
        wire = dict(params)
        if "max_tokens" in wire:
            wire[self._max_tokens_field] = wire.pop("max_tokens")
        return client.chat.completions.create(
            model=self.model,
            messages=[{"role": m.role, "content": m.content} for m in messages],
            **wire,
        )

    def _read(self, response: Any) -> RawAnswer:
        choice = response.choices[0]
        text = choice.message.content
        if not isinstance(text, str):
            raise ValueError("no text in the answer")
        usage = response.usage
        return RawAnswer(
            text=text,
            tokens_in=int(usage.prompt_tokens) if usage else 0,
            tokens_out=int(usage.completion_tokens) if usage else 0,
            model=str(response.model or self.model),
            finish_reason=choice.finish_reason,
            usage_reported=usage is not None,
        )
