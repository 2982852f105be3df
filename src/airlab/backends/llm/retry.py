"""One retry policy for every provider: exponential backoff with full jitter, honouring
Retry-After. The SDKs' own retries are switched off so that these are the only ones."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")

MAX_RETRY_AFTER_S = 600.0
"""A server asking for a longer pause than this is waited on for this long, then retried."""


class TransientError(Exception):
    """A failure worth retrying (rate limit, 5xx, timeout, dropped connection, garbled body)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    base_s: float = 1.0
    max_s: float = 60.0

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S)
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, TransientError, float], None] | None = None,
) -> T:
    """Run `call`, retrying it on `TransientError`; the last one is raised when retries run out."""
    rng = random.Random()
    attempt = 0
    while True:
        try:
            return call()
        except TransientError as exc:
            attempt += 1
            if attempt > policy.max_retries:
                raise
            wait = policy.delay(attempt, exc.retry_after_s, rng)
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            sleep(wait)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date); None if absent or garbled."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
