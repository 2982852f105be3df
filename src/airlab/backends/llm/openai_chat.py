"""OpenAI chat completions, and every server that speaks them (vLLM, llama.cpp, Ollama, SGLang).

OpenAI's reasoning models (o1, o3, o4, gpt-5 families) are known up front: they get
`max_completion_tokens`, a larger default output budget, and no temperature or top_p (which
they refuse). Cached and reasoning tokens are read from `usage`. Long calls stream, with the
usage from the final chunk (`stream_options.include_usage`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

from airlab.backends.base import Message, ToolCall, ToolSpec
from airlab.backends.llm.chat import ProviderChatModel, RawAnswer, parse_arguments, read_answer
from airlab.backends.llm.settings import REASONING_MAX_TOKENS, LLMSettings

log = logging.getLogger("airlab.backends")

LOCAL_KEY = "not-needed"
"""Local servers ignore the key, but the SDK insists on one."""
REASONING_MODELS = re.compile(r"^(o1|o3|o4|gpt-5)(?![-.]?chat)([-.]|$)")
"""OpenAI's reasoning families (gpt-5-chat is not one): `max_completion_tokens`, effort, no
temperature or top_p."""
REASONING_PREFLIGHT = {"max_tokens": 1024}
"""A reasoning model thinks before it says OK: 16 tokens would all go to thinking."""


def is_reasoning_model(model: str) -> bool:
    return REASONING_MODELS.match(model.rsplit("/", 1)[-1]) is not None


@dataclass
class _Streamed:
    """What the chunks of a streamed answer add up to."""

    text: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    model: str = ""
    usage: Any = None
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Index → id, name and the argument pieces so far."""

    def add_tool_deltas(self, deltas: Any) -> None:
        for delta in deltas or ():
            call = self.tool_calls.setdefault(delta.index, {"id": "", "name": "", "args": []})
            call["id"] = delta.id or call["id"]
            function = delta.function
            if function is not None:
                call["name"] = function.name or call["name"]
                call["args"].append(function.arguments or "")


class OpenAIChat(ProviderChatModel):
    sdk_name = "openai"
    key_env = "OPENAI_API_KEY"
    wire_names: ClassVar[dict[str, tuple[str, ...]]] = {
        "temperature": ("temperature",),
        "top_p": ("top_p",),
        "seed": ("seed",),
        "max_tokens": ("max_tokens", "max_completion_tokens"),
        "reasoning_effort": ("reasoning_effort", "reasoning.effort"),
    }

    def __init__(
        self, model: str, settings: LLMSettings, *, provider: str = "openai", local: bool = False
    ) -> None:
        self.reasoning = is_reasoning_model(model)
        super().__init__(provider, model, settings)
        self.local = local
        self.supports_tools = not local
        """Local servers differ in tool support (llama.cpp needs --jinja): text protocol."""
        self._max_tokens_field = "max_completion_tokens" if self.reasoning else "max_tokens"
        if self.reasoning:
            refused = [k for k in ("temperature", "top_p") if getattr(settings, k) is not None]
            if refused:
                log.warning("%s is a reasoning model: not sending %s", self.name, refused)
            self._dropped.update({"temperature", "top_p"})

    def _default_max_tokens(self) -> int:
        return REASONING_MAX_TOKENS if self.reasoning else super()._default_max_tokens()

    def _probe(self) -> dict[str, Any]:
        return REASONING_PREFLIGHT if self.reasoning else super()._probe()

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

    def _send(
        self,
        client: Any,
        messages: Sequence[Message],
        params: dict[str, Any],
        tools: tuple[ToolSpec, ...] = (),
    ) -> Any:
        wire = dict(params)
        budget = int(wire.get("max_tokens", self.max_tokens))
        if "max_tokens" in wire:
            wire[self._max_tokens_field] = wire.pop("max_tokens")
        request = {"model": self.model, "messages": [_wire(m) for m in messages], **wire}
        if tools:
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in tools
            ]
        if not self.settings.streams(budget):
            return client.chat.completions.create(**request)
        streamed = _Streamed()
        stream = client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        for chunk in stream:
            streamed.model = chunk.model or streamed.model
            if getattr(chunk, "usage", None) is not None:
                streamed.usage = chunk.usage
            for choice in chunk.choices or ():
                if choice.delta is not None and choice.delta.content:
                    streamed.text.append(choice.delta.content)
                if choice.delta is not None:
                    streamed.add_tool_deltas(choice.delta.tool_calls)
                if choice.finish_reason:
                    streamed.finish_reason = choice.finish_reason
        return streamed

    def _read(self, response: Any) -> RawAnswer:
        if isinstance(response, _Streamed):
            text: Any = "".join(response.text) if response.text else None
            finish_reason, model, usage = response.finish_reason, response.model, response.usage
            calls = tuple(
                ToolCall(c["id"], c["name"], parse_arguments("".join(c["args"])))
                for _, c in sorted(response.tool_calls.items())
            )
        else:
            choice = response.choices[0]
            text, finish_reason = choice.message.content, choice.finish_reason
            if text is None and getattr(choice.message, "refusal", None):
                finish_reason = "refusal"  # a structured-output refusal: the text is elsewhere
            model, usage = response.model, response.usage
            calls = tuple(
                ToolCall(c.id, c.function.name, parse_arguments(c.function.arguments))
                for c in choice.message.tool_calls or ()
            )
        if text is not None and not isinstance(text, str):
            raise ValueError("the answer's text is not a string")
        return read_answer(
            text,  # None: no text at all (a refusal, an empty answer, a model that only thought)
            finish_reason,
            tokens_in=int(usage.prompt_tokens) if usage else 0,
            tokens_out=int(usage.completion_tokens) if usage else 0,
            model=str(model or self.model),
            usage_reported=usage is not None,
            cached_in=_detail(usage, "prompt_tokens_details", "cached_tokens"),
            reasoning_out=_detail(usage, "completion_tokens_details", "reasoning_tokens"),
            tool_calls=calls,
        )


def _wire(message: Message) -> dict[str, Any]:
    """A message as chat completions take it (tool calls and tool results included)."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    return wire


def _detail(usage: Any, group: str, name: str) -> int:
    """A token count inside `usage` (absent from older servers and local ones: 0)."""
    details = getattr(usage, group, None) if usage is not None else None
    value = getattr(details, name, None) if details is not None else None
    return int(value) if isinstance(value, int) else 0
