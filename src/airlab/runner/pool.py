"""Worker pools: where candidates execute. The runner submits and is told back (ask/tell).

Every pool takes the same `ExecutionRequest` (a script, paths and limits: never answers) and
returns a future of a `PoolResult`; grading happens in the runner, so hidden answers never leave
the driver. A remote pool must not use the request's paths on its workers (they are the
driver's): the Ray pool ships the script, the public data and the limits instead. The local
pool runs each candidate in its own sandboxed process, supervised by one of N threads, so the
main loop keeps proposing while candidates run. The Ray pool (`ray_pool.py`) runs each one as
a Ray task. Pools register by name in `POOLS`; `make_pool` builds one.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from airlab.params import NoParams, Params, parse_params
from airlab.registry import Registry
from airlab.sandbox.base import Execution, ExecutionRequest, Sandbox


@dataclass(frozen=True)
class PoolResult:
    """An execution plus where and when it ran."""

    execution: Execution
    worker: str
    started_at: float
    finished_at: float
    setup_s: float = 0.0
    """Seconds the worker spent before the sandbox started (the Ray pool: getting the task's
    public data onto its node, near 0 once cached there)."""
    data_fetched: bool = False
    """This candidate's worker fetched and unpacked the public data (the first on its node)."""


class Pool(abc.ABC):
    """Runs execution requests on workers; `submit` never blocks on the execution itself."""

    name: ClassVar[str] = "abstract"
    Params: ClassVar[type[Params]] = NoParams
    """The pool options (`RunConfig.pool_options`) this pool accepts; `make_pool` passes those
    given to the constructor as keywords."""

    def __init__(self, workers: int, sandbox: Sandbox) -> None:
        self.workers = workers
        self.sandbox = sandbox

    @classmethod
    def check_available(cls) -> None:
        """Fail early, with one line, when this pool cannot run here (a missing package)."""
        return None

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Fail early, with one line, on options this pool does not take, or when it cannot run
        here. (`POOLS.parse_params` checks the options of a registered pool by its name.)"""
        parse_params(cls.Params, options, owner=f"pool {cls.name!r}")
        cls.check_available()

    @abc.abstractmethod
    def submit(self, request: ExecutionRequest) -> Future[PoolResult]: ...

    @abc.abstractmethod
    def cancel_all(self) -> None:
        """Stop every execution running now; their futures end as cancelled or failed."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Release the workers; running executions finish first."""

    def describe(self) -> str:
        return f"{self.name} pool, {self.workers} worker(s)"

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class LocalPool(Pool):
    """N supervising threads on this machine, each running one sandboxed process at a time."""

    name = "local"

    def __init__(self, workers: int, sandbox: Sandbox) -> None:
        super().__init__(workers, sandbox)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="airlab-worker")
        self._slots = {f"worker-{i}" for i in range(1, workers + 1)}
        self._lock = threading.Lock()
        self._pending: set[Future[PoolResult]] = set()

    def _run(self, request: ExecutionRequest) -> PoolResult:
        with self._lock:
            worker = min(self._slots)
            self._slots.remove(worker)
        try:
            started = time.time()
            execution = self.sandbox.run(request)
            return PoolResult(execution, worker, started, time.time())
        finally:
            with self._lock:
                self._slots.add(worker)

    def submit(self, request: ExecutionRequest) -> Future[PoolResult]:
        future = self._executor.submit(self._run, request)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[PoolResult]) -> None:
        with self._lock:
            self._pending.discard(future)

    def cancel_all(self) -> None:
        """Drop queued executions and have the sandbox kill the trees of the running ones.

        Only the supervisors this pool's sandbox started are signalled: other processes of the
        host (a notebook kernel, an embedding application) are left alone.
        """
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.cancel()
        self.sandbox.cancel_all()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


POOLS: Registry[type[Pool]] = Registry("pool", group="airlab.pools")
POOLS.register(LocalPool.name, LocalPool)


def make_pool(
    name: str, workers: int, sandbox: Sandbox, options: Mapping[str, Any] | None = None
) -> Pool:
    """Build the pool `name` with its options (see each pool's `Params`)."""
    cls = POOLS.get(name)
    params = POOLS.parse_params(name, options)
    cls.check_available()
    return cls(workers, sandbox, **params.model_dump(exclude_unset=True))


# The Ray pool registers itself under "ray" when its module is imported; importing it here means
# every user of POOLS knows it (ray itself is imported only when that pool is built).
from airlab.runner import ray_pool as _ray_pool  # noqa: E402, F401
