"""Many environments' steps at once: `submit` actions, `poll` for the finished ones.

`AirlabEnv.step` blocks while its candidate runs (seconds to minutes). A trainer with many
rollouts (GRPO's groups, several prompts) submits each environment's action here instead: the
answer is recorded at once (a ReAct reply's tools run then), its candidate's execution goes to a
worker pool (the local pool, or any `Pool`: Ray's), and `poll` returns each step's usual
`(observation, reward, terminated, truncated, info)` as it finishes, grading it on the calling
thread (journals and hidden answers stay with the driver, as in a run). An environment has one
step in flight at a time.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

from airlab.errors import ConfigError
from airlab.gym.env import AirlabEnv, PendingStep, StepResult
from airlab.runner.pool import Pool, PoolResult, make_pool


@dataclass(frozen=True)
class _InFlight:
    pending: PendingStep
    future: Future[PoolResult] | None


class StepBatch:
    """Steps of many environments, their executions on one pool (see the module docstring).

    `pool`: a pool you own (and shut down); default a local pool of `workers` workers, built
    on the first submit with that environment's sandbox and shut down by `close`."""

    def __init__(self, pool: Pool | None = None, *, workers: int = 2) -> None:
        if workers < 1:
            raise ConfigError(f"StepBatch: workers must be at least 1, got {workers}")
        self.workers = workers
        self._pool = pool
        self._own = pool is None
        self._next = 0
        self._flight: dict[int, _InFlight] = {}

    def submit(self, env: AirlabEnv, action: Any) -> int:
        """Begin `env`'s step with `action`; returns its ticket at once."""
        pending = env.start_step(action)
        return self._track(pending)

    def submit_end(self, env: AirlabEnv) -> int:
        """Begin `env.end_node()` (ReAct: grade the node's folder now); returns its ticket."""
        return self._track(env.start_step(None, end_node=True))

    def _track(self, pending: PendingStep) -> int:
        future = None
        if pending.request is not None:
            search = pending.env.search
            assert search is not None
            if self._pool is None:
                self._pool = make_pool("local", self.workers, search.sandbox)
            future = self._pool.submit(pending.request)
        ticket = self._next
        self._next += 1
        self._flight[ticket] = _InFlight(pending, future)
        return ticket

    @property
    def pending(self) -> list[int]:
        """Tickets submitted and not yet returned by `poll` or `wait`."""
        return sorted(self._flight)

    def poll(self, tickets: list[int] | None = None) -> dict[int, StepResult]:
        """The steps (of `tickets`, default all) finished and not yet returned, by ticket;
        never waits."""
        wanted = self._flight if tickets is None else {t: self._flight[t] for t in tickets}
        done = [t for t, f in wanted.items() if f.future is None or f.future.done()]
        return {ticket: self._finish(ticket) for ticket in sorted(done)}

    def wait(self, tickets: list[int] | None = None, timeout: float | None = None) -> dict:
        """Block until `tickets` (default: every pending one) have finished, or `timeout`
        seconds pass; returns those finished, by ticket (others stay pending)."""
        wanted = set(self._flight if tickets is None else tickets)
        unknown = wanted - set(self._flight)
        if unknown:
            raise ConfigError(f"StepBatch.wait: no pending tickets {sorted(unknown)}")
        deadline = None if timeout is None else time.monotonic() + timeout
        results: dict[int, StepResult] = {}
        while wanted:
            results |= self.poll(sorted(wanted))
            wanted -= set(results)
            futures = [self._flight[t].future for t in wanted if self._flight[t].future]
            left = None if deadline is None else deadline - time.monotonic()
            if not wanted or (left is not None and left <= 0):
                break
            wait([f for f in futures if f is not None], timeout=left, return_when=FIRST_COMPLETED)
        return results

    def _finish(self, ticket: int) -> StepResult:
        flight = self._flight.pop(ticket)
        env = flight.pending.env
        if flight.future is None:
            return env.finish_step(flight.pending)
        try:
            result = flight.future.result()
        except Exception as exc:  # the worker, not the candidate, failed
            return env.worker_failed(flight.pending, str(exc))
        return env.finish_step(flight.pending, result)

    def close(self) -> None:
        """Shut the pool down if this batch built it (running executions finish first)."""
        if self._own and self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> StepBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
