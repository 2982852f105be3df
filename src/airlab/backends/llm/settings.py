"""The options an LLM backend takes (`-B key=value`), validated once when the run is created."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from airlab.errors import BackendError
from airlab.params import Params, parse_params

DEFAULT_MAX_TOKENS = 8192
REASONING_MAX_TOKENS = 32768
"""The default output budget of reasoning models: high effort thinks for tens of thousands."""
STREAM_ABOVE_TOKENS = 16384
SAMPLING_PARAMETERS = ("temperature", "top_p", "max_tokens", "reasoning_effort", "seed")
"""Settings sent to the model; a model that rejects one has it dropped for the rest of the run."""


class LLMSettings(Params):
    """Sampling, timeouts and retries of one chat model."""

    temperature: float | None = Field(None, ge=0, le=2)
    """Sampling temperature (none: the provider's default)."""
    top_p: float | None = Field(None, gt=0, le=1)
    """Nucleus sampling mass (none: the provider's default)."""
    seed: int | None = Field(None, ge=0)
    """Sampling seed, sent as `seed` (OpenAI's best-effort reproducibility; vLLM takes it per
    request; llama-cpp-python 0.3.36's server accepts it and still samples differently, checked
    here); none: not sent. Anthropic's API has none: not sent there (with a warning)."""
    max_tokens: int | None = Field(None, ge=1)
    """Most tokens of one answer, thinking included (sent as `max_completion_tokens` to
    reasoning models). None: 8192; 32768 for OpenAI reasoning models (room for high-effort
    reasoning); 8192 + `thinking_budget` with Anthropic extended thinking."""
    reasoning_effort: Literal["minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    """For reasoning models: how hard to think; OpenAI takes `minimal` to `high`, Anthropic
    `low` to `max` (`output_config.effort`). None: the provider's default."""
    thinking_budget: int | None = Field(None, ge=1024)
    """Anthropic extended thinking: tokens the model may think before answering
    (`thinking.budget_tokens`); none: no extended thinking."""
    prompt_cache: bool = True
    """Anthropic: mark the system prompt and the task (the prefix every call of a run repeats)
    with `cache_control`, so later calls read it from the cache. OpenAI caches on its own."""
    stream: bool | None = None
    """Stream answers (usage from the final event), so that proxies do not cut long calls.
    None: stream when the output budget is above 16384 tokens."""
    timeout_s: float = Field(300.0, gt=0)
    """Per-call timeout; a call past it is retried like a rate limit."""
    max_retries: int = Field(6, ge=0)
    """Retries of a call that failed for a transient reason (rate limit, timeout, 5xx)."""
    retry_base_s: float = Field(1.0, ge=0)
    """First backoff delay; each retry doubles it (with jitter), up to `retry_max_s`."""
    retry_max_s: float = Field(60.0, ge=0)
    """Longest backoff delay between two retries."""
    api_key_env: str | None = None
    """Environment variable holding the key (default: the provider's usual one)."""
    base_url: str | None = None
    """Endpoint override (a proxy, or a local server speaking the provider's wire format)."""
    prices: Path | None = None
    """A YAML price table that extends or overrides the bundled one."""

    def streams(self, max_tokens: int) -> bool:
        return self.stream if self.stream is not None else max_tokens > STREAM_ABOVE_TOKENS

    def sampling(self) -> dict[str, Any]:
        """The sampling parameters that are set, by their generic names."""
        values = {name: getattr(self, name) for name in SAMPLING_PARAMETERS}
        return {name: value for name, value in values.items() if value is not None}


def parse_settings(spec: str, options: dict[str, Any]) -> LLMSettings:
    """Validate backend options, naming the first bad one (with a "did you mean")."""
    return parse_params(  # type: ignore[return-value]
        LLMSettings, options, owner=f"backend {spec!r}", error=BackendError
    )
