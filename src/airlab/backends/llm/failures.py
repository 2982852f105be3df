"""Every way a provider call can fail, classified once, for every chat backend.

The kinds follow the providers' documented errors:

- OpenAI: 400 `invalid_request_error`; 401 `invalid_api_key` / invalid authentication; 403
  (unsupported region, no access); 404 `model_not_found` ("The model `x` does not exist or you do
  not have access to it"); 429 `rate_limit_exceeded` (retry) but 429 `insufficient_quota` ("You
  exceeded your current quota": out of credits, never retried); 500/503 (retry); a 200 answer
  with `finish_reason=content_filter` and `content: null`.
- Anthropic: 400 `invalid_request_error` (also "Your credit balance is too low", a billing error
  sent as 400); 401 `authentication_error`; 402 `billing_error`; 403 `permission_error`; 404
  `not_found_error`; 413 `request_too_large`; 429 `rate_limit_error`; 500 `api_error`; 529
  `overloaded_error`; a 200 answer with `stop_reason=refusal`.
- OpenAI-compatible gateways and servers: OpenRouter's 402 "Insufficient credits" and 400 "… is
  not a valid model ID"; vLLM's 404 "The model `x` does not exist."; llama.cpp and others' 400
  "model not found".

`ProviderError` carries the kind, the retries spent and whatever the server billed, so the
ledger row of a failed call is as true as that of a successful one.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from airlab.backends.base import Usage
from airlab.errors import BackendError


class ProviderFailure(StrEnum):
    AUTH = "auth"
    """The key was refused or lacks permission (401, 403): nothing will work."""
    MODEL = "model"
    """The model is unknown or invalid (404, a 400 saying so): nothing will work."""
    QUOTA = "quota"
    """Out of credits or quota (402, 429 `insufficient_quota`, a 400 about the credit balance)."""
    REFUSED = "refused"
    """A readable answer the model declined to give (`content_filter`, `refusal`): the node
    fails, its usage is charged; several in a row stop the run."""
    EMPTY = "empty"
    """A readable answer with no text and no tool calls (`content: null`): the node fails, its
    usage is charged."""
    TRANSIENT = "transient"
    """Rate limit, overload, 5xx, timeout, dropped connection: retried with backoff; when the
    retries run out, fatal (several in a row stop the run)."""
    MALFORMED = "malformed"
    """A 200 whose body is not a completion: retried like a transient failure."""
    UNREACHABLE = "unreachable"
    """Nothing listens at the endpoint (connection refused): not retried, fatal."""
    INVALID = "invalid"
    """Another request error (a prompt too long, 413): that node fails, the run goes on."""

    @property
    def stops_run(self) -> bool:
        """Definitive: the first one stops the run (no later call can succeed)."""
        return self in STOPS_RUN

    @property
    def fatal(self) -> bool:
        """The backend cannot work now (its node is cancelled, not counted as a step)."""
        return self in STOPS_RUN or self in (ProviderFailure.TRANSIENT, ProviderFailure.UNREACHABLE)


STOPS_RUN = frozenset({ProviderFailure.AUTH, ProviderFailure.MODEL, ProviderFailure.QUOTA})
ANSWER_FAILURES = frozenset({ProviderFailure.REFUSED, ProviderFailure.EMPTY})
"""Answers that came back readable but unusable: billed, and a failure of their node."""

REFUSAL_REASONS = frozenset({"content_filter", "refusal", "safety", "prohibited_content"})
"""`finish_reason` / `stop_reason` values that mean the model (or its filter) declined."""

_QUOTA = re.compile(
    r"insufficient[_ ](quota|credits?|balance|funds)|exceeded your current quota|"
    r"credit balance is too low|out of credits|payment required",
    re.I,
)
"""Not "billing" or "quota exceeded": OpenAI's free-tier rate limits point at the billing page,
and per-minute quotas (429) are rate limits, worth retrying."""
_MODEL = re.compile(
    r"model[_ ]not[_ ]found|not a valid model|invalid model|unknown model|no such model|"
    r"model\b[^.]{0,120}\b(does not exist|not found|is not supported|not available)",
    re.I,
)
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_error", "insufficient_credits"})
_MODEL_CODES = frozenset({"model_not_found", "invalid_model", "not_found_error"})
_AUTH_CODES = frozenset({"invalid_api_key", "authentication_error", "permission_error"})
_RETRY_CODES = frozenset(
    {"rate_limit_exceeded", "rate_limit_error", "overloaded_error", "api_error"}
)


def error_fields(body: Any) -> tuple[str, str]:
    """The `type` and `code` of an error body, whichever shape it has (OpenAI's and OpenRouter's
    `{"error": {...}}`, Anthropic's `{"type": "error", "error": {...}}`, vLLM's flat object)."""
    inner = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        return "", ""
    return str(inner.get("type") or ""), str(inner.get("code") or "")


def classify_status(status: int, message: str, body: Any = None) -> ProviderFailure:
    """The kind of an HTTP error answer (a 400 naming a sampling parameter is handled before)."""
    kind, code = error_fields(body)
    codes = {kind.lower(), code.lower()}
    if status == 402 or codes & _QUOTA_CODES:
        return ProviderFailure.QUOTA
    if codes & _RETRY_CODES:
        return ProviderFailure.TRANSIENT
    if _QUOTA.search(message):
        return ProviderFailure.QUOTA
    if status in (401, 403) or codes & _AUTH_CODES:
        return ProviderFailure.AUTH
    if status == 404 or codes & _MODEL_CODES or _MODEL.search(message):
        return ProviderFailure.MODEL
    if status in (408, 409, 429) or status >= 500:
        return ProviderFailure.TRANSIENT
    return ProviderFailure.INVALID


def answer_failure(
    text: str | None, finish_reason: str | None, tool_calls: int
) -> ProviderFailure | None:
    """Why a readable answer is unusable, or None: refused by the model or its filter, or empty
    (`text` None: no text at all, no tool calls, and not cut off by the token limit, where a
    reasoning model may have spent its whole budget thinking)."""
    if (finish_reason or "").lower() in REFUSAL_REASONS:
        return ProviderFailure.REFUSED
    if text is None and not tool_calls and finish_reason not in ("length", "max_tokens"):
        return ProviderFailure.EMPTY
    return None


class ProviderError(BackendError):
    """A failed provider call: its kind, the retries it took, and what the server billed."""

    def __init__(
        self,
        message: str,
        kind: ProviderFailure,
        *,
        retries: int = 0,
        usage: Usage | None = None,
        usage_reported: bool = True,
        model: str = "",
        priced: bool = True,
    ) -> None:
        super().__init__(message, fatal=kind.fatal)
        self.kind = kind
        self.retries = retries
        self.usage = usage or Usage()
        self.usage_reported = usage_reported
        """False when the server may have billed tokens that are unknown here (an answer
        without usage, a call abandoned at its timeout)."""
        self.model = model
        self.priced = priced

    @property
    def stops_run(self) -> bool:
        return self.kind.stops_run
