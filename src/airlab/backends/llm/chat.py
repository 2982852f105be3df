"""What every provider shares: lazy SDK client, retries, rejected parameters, accounting.

A provider only says how to build its client, how to send one request and how to read the
answer. Errors are classified here, once, into a `ProviderFailure` (`failures.py`), by the HTTP
status, the error body's type and code, and the message the SDK reports: retry (429 rate limits,
5xx, timeouts, dropped connections, unreadable bodies), drop a sampling parameter the model
refuses (a 400 naming it) and try again, or a one-line `ProviderError` that carries the retries
spent and what the server billed (a refused or empty answer is billed).
"""

from __future__ import annotations

import abc
import functools
import importlib
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

from airlab.backends.base import ChatModel, Completion, Message, ToolCall, ToolSpec, Usage
from airlab.backends.llm.failures import (
    ProviderError,
    ProviderFailure,
    answer_failure,
    classify_status,
)
from airlab.backends.llm.prices import PriceTable
from airlab.backends.llm.retry import (
    RetryPolicy,
    TransientError,
    call_with_retries,
    parse_retry_after,
)
from airlab.backends.llm.settings import DEFAULT_MAX_TOKENS, LLMSettings
from airlab.errors import BackendError

log = logging.getLogger("airlab.backends")

INSTALL_HINT = "pip install 'airlab[llm]'"
_ERROR_CODE = re.compile(r"^Error code: \d+ - ")


class MalformedResponse(TransientError):
    """The server answered 200 with a body that is not a usable completion."""


class Abandoned(TransientError):
    """No answer within the timeout: the client gave up, but the server may still bill the call
    (its usage is then unknown here)."""


class ParameterRejected(Exception):
    """A 400 that names one of our sampling parameters."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class RawAnswer:
    """What a provider read from one response."""

    text: str
    tokens_in: int
    tokens_out: int
    model: str
    finish_reason: str | None
    usage_reported: bool = True
    """False when the response had no usage block (tokens unknown)."""
    cached_in: int = 0
    cache_write_in: int = 0
    reasoning_out: int = 0
    tool_calls: tuple[ToolCall, ...] = ()
    failure: ProviderFailure | None = None
    """Set when the answer is readable but unusable (refused, empty): billed all the same."""


def read_answer(text: str | None, finish_reason: str | None, **fields: Any) -> RawAnswer:
    """A `RawAnswer`, classified: `text` None means the answer held no text at all."""
    calls = fields.get("tool_calls", ())
    failure = answer_failure(text, finish_reason, len(calls))
    return RawAnswer(text=text or "", finish_reason=finish_reason, failure=failure, **fields)


class ProviderChatModel(ChatModel):
    """A chat model behind an official SDK."""

    needs_preflight = True
    sdk_name: str
    """Python package of the SDK, imported on first use."""
    key_env: str | None
    """The usual environment variable of the key; None when a key is optional."""
    wire_names: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Generic sampling name → names the API may use for it in an error message."""

    def __init__(self, provider: str, model: str, settings: LLMSettings) -> None:
        self.provider = provider
        self.model = model
        self.settings = settings
        self.name = f"{provider}/{model}"
        self.prices = PriceTable.load(settings.prices)
        self.retry = RetryPolicy(settings.max_retries, settings.retry_base_s, settings.retry_max_s)
        self._sdk: ModuleType | None = None
        self._client: Any = None
        self._lock = threading.Lock()
        self._dropped: set[str] = set()
        self.max_tokens = settings.max_tokens or self._default_max_tokens()

    def _default_max_tokens(self) -> int:
        return DEFAULT_MAX_TOKENS

    def describe(self) -> str:
        where = f" at {self.settings.base_url}" if self.settings.base_url else ""
        return f"{self.name}{where}"

    # ---- provider hooks --------------------------------------------------------------------
    @abc.abstractmethod
    def _make_client(self, sdk: ModuleType, api_key: str | None) -> Any: ...

    @abc.abstractmethod
    def _send(
        self,
        client: Any,
        messages: Sequence[Message],
        params: dict[str, Any],
        tools: tuple[ToolSpec, ...] = (),
    ) -> Any: ...

    @abc.abstractmethod
    def _read(self, response: Any) -> RawAnswer: ...

    def _adapt(self, parameter: str, message: str) -> bool:
        """Handle a rejected parameter some other way than dropping it; True if handled."""
        return False

    # ---- the call --------------------------------------------------------------------------
    def check(self) -> None:
        """Fail now, in one line, if the SDK or the key is missing."""
        self._client_or_raise()

    supports_tools = True

    def complete(
        self,
        messages: Sequence[Message],
        *,
        purpose: str = "",
        tools: Sequence[ToolSpec] | None = None,
    ) -> Completion:
        return self._complete(messages, {}, tuple(tools or ()))

    def preflight(self) -> Completion:
        """A one-line question with a tiny output budget: proves the key, model and server."""
        return self._complete([Message("user", "Reply with the single word OK.")], self._probe())

    def _probe(self) -> dict[str, Any]:
        """The preflight's parameters over the usual ones."""
        return PREFLIGHT

    def _complete(
        self,
        messages: Sequence[Message],
        override: dict[str, Any],
        tools: tuple[ToolSpec, ...] = (),
    ) -> Completion:
        client = self._client_or_raise()
        retries = 0
        abandoned = 0

        def on_retry(attempt: int, exc: TransientError, wait: float) -> None:
            nonlocal retries, abandoned
            retries = attempt
            abandoned += isinstance(exc, Abandoned)
            self._log_retry(attempt, exc, wait)

        while True:
            params = {**self._params(), **override}
            try:
                answer = call_with_retries(
                    functools.partial(self._attempt, client, messages, params, tools),
                    self.retry,
                    on_retry=on_retry,
                )
            except TransientError as exc:
                abandoned += isinstance(exc, Abandoned)
                raise ProviderError(
                    f"{self.name}: gave up after {self.retry.max_retries} retries: {exc}",
                    ProviderFailure.TRANSIENT,
                    retries=retries,
                    usage=Usage(calls=1),
                    usage_reported=abandoned == 0,
                    priced=self.prices.lookup(self.model) is not None,
                ) from None
            except ProviderError as exc:
                exc.retries = retries
                exc.usage_reported = exc.usage_reported and abandoned == 0
                raise
            except ParameterRejected as exc:
                self._reject(exc)
                continue
            price = self.prices.lookup(self.model)
            cost = self.prices.cost(
                self.model,
                answer.tokens_in,
                answer.tokens_out,
                answer.cached_in,
                answer.cache_write_in,
            )
            usage = Usage(
                tokens_in=answer.tokens_in,
                tokens_out=answer.tokens_out,
                cost_usd=cost,
                calls=1,
                cached_in=answer.cached_in,
                cache_write_in=answer.cache_write_in,
                reasoning_out=answer.reasoning_out,
            )
            reported = answer.usage_reported and abandoned == 0
            if answer.failure is not None:
                refused = answer.failure == ProviderFailure.REFUSED
                what = "refused to answer" if refused else "sent an empty answer"
                raise ProviderError(
                    f"{self.name}: the model {what} (finish_reason={answer.finish_reason})",
                    answer.failure,
                    retries=retries,
                    usage=usage,
                    usage_reported=reported,
                    model=answer.model,
                    priced=price is not None,
                )
            return Completion(
                answer.text,
                usage,
                answer.model,
                answer.finish_reason,
                usage_reported=reported,
                priced=price is not None,
                retries=retries,
                tool_calls=answer.tool_calls,
                abandoned=abandoned,
            )

    def _attempt(
        self,
        client: Any,
        messages: Sequence[Message],
        params: dict[str, Any],
        tools: tuple[ToolSpec, ...] = (),
    ) -> Any:
        try:
            response = self._send(client, messages, params, tools)
        except Exception as exc:
            raise self._translate(exc, params) from exc
        try:
            return self._read(response)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"unusable response body ({type(exc).__name__})") from None

    def _params(self) -> dict[str, Any]:
        sampling = {**self.settings.sampling(), "max_tokens": self.max_tokens}
        with self._lock:
            return {k: v for k, v in sampling.items() if k not in self._dropped}

    def _reject(self, exc: ParameterRejected) -> None:
        with self._lock:
            if self._adapt(exc.parameter, str(exc)):
                return
            if exc.parameter in self._dropped:
                raise ProviderError(f"{self.name}: {exc}", ProviderFailure.INVALID) from None
            self._dropped.add(exc.parameter)
        log.warning("%s rejects %r; dropping it for this run (%s)", self.name, exc.parameter, exc)

    def _log_retry(self, attempt: int, exc: TransientError, wait: float) -> None:
        log.warning("%s: %s; retry %d in %.1f s", self.name, exc, attempt, wait)

    # ---- errors ----------------------------------------------------------------------------
    def _translate(self, exc: Exception, params: dict[str, Any]) -> Exception:
        sdk = self._sdk
        assert sdk is not None
        if isinstance(exc, sdk.APITimeoutError):
            return Abandoned(f"no answer within {self.settings.timeout_s:g} s")
        if isinstance(exc, sdk.APIConnectionError):
            if _refused(exc):
                where = self.settings.base_url or "the provider's endpoint"
                return ProviderError(
                    f"{self.name}: connection refused at {where} (is the server running?)",
                    ProviderFailure.UNREACHABLE,
                )
            return TransientError(f"connection error ({exc})")
        if isinstance(exc, sdk.APIResponseValidationError):
            return MalformedResponse("response body does not match the API schema")
        if isinstance(exc, sdk.APIStatusError):
            return self._status_error(exc, params)
        if isinstance(exc, ValueError):  # a body that is not JSON
            return MalformedResponse(f"unreadable response body ({_short(str(exc))})")
        return exc

    def _status_error(self, exc: Any, params: dict[str, Any]) -> Exception:
        """An HTTP error answer as a retry, a rejected parameter, or a classified failure."""
        status = exc.status_code
        message = _short(_ERROR_CODE.sub("", getattr(exc, "message", "") or str(exc)))
        if status in (400, 422):
            rejected = self._rejected_parameter(message, params)
            if rejected is not None:
                return ParameterRejected(rejected, f"HTTP {status}: {message}")
        kind = classify_status(status, message, getattr(exc, "body", None))
        if kind == ProviderFailure.TRANSIENT:
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            return TransientError(f"HTTP {status}: {message}", retry_after)
        if kind == ProviderFailure.AUTH:
            text = (
                f"the key was refused (HTTP {status}): {message}; check "
                f"{self._key_variable() or 'the server settings'}"
            )
        elif kind == ProviderFailure.MODEL:
            text = f"HTTP {status} (unknown model or endpoint): {message}"
        elif kind == ProviderFailure.QUOTA:
            text = f"HTTP {status} (out of credits or quota): {message}"
        else:
            text = f"HTTP {status}: {message}"
        return ProviderError(f"{self.name}: {text}", kind)

    def _rejected_parameter(self, message: str, params: dict[str, Any]) -> str | None:
        lowered = message.lower()
        for name in params:
            if any(wire.lower() in lowered for wire in self.wire_names.get(name, (name,))):
                return name
        return None

    # ---- the client ------------------------------------------------------------------------
    def _key_variable(self) -> str | None:
        return self.settings.api_key_env or self.key_env

    def _client_or_raise(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    self._sdk = importlib.import_module(self.sdk_name)
                except ImportError:
                    raise BackendError(
                        f"backend {self.name!r} needs the {self.sdk_name} package: {INSTALL_HINT}",
                        fatal=True,
                    ) from None
                self._client = self._make_client(self._sdk, self._api_key())
            return self._client

    def _api_key(self) -> str | None:
        variable = self._key_variable()
        key = os.environ.get(variable) if variable else None
        if not key and variable and self.key_required:
            raise BackendError(
                f"backend {self.name!r} needs an API key: set {variable}", fatal=True
            )
        return key or None

    @property
    def key_required(self) -> bool:
        return True


PREFLIGHT = {"max_tokens": 16}
"""The preflight's output budget: enough for "OK" from any model, a few tokens of spend."""


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict (OpenAI sends a JSON string, Anthropic an object)."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {"_unparsed": str(raw)}
    return value if isinstance(value, dict) else {"_unparsed": str(raw)}


def _refused(exc: BaseException) -> bool:
    """Whether a connection error is a refusal (nothing listens there): retrying cannot help."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _short(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
