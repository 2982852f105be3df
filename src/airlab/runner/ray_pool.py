"""The Ray pool: each candidate runs as a Ray task, so a cluster schedules it by its resources.

Ray is imported only when this pool is built (`pip install 'airlab[ray]'`). The task gets the
`ExecutionRequest` alone (script, paths, limits) and runs it in the same kind of sandbox as the
run's, on whichever node Ray picks; the submission comes back as bytes and is graded by the
driver, so hidden answers never leave it. The run folder and the task's public data must be at
the same paths on every node (a shared filesystem; trivially true on one machine).

Each task asks Ray for the candidate's CPUs, GPUs and memory. Ray's own retries are off
(`max_retries=0`): a worker that dies surfaces as a failed future, and the runner counts the
attempt, runs the candidate again, and marks its node lost after too many tries.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any

from airlab.errors import ConfigError
from airlab.params import Params
from airlab.runner.pool import POOLS, Pool, PoolResult
from airlab.sandbox.base import ExecutionRequest, Sandbox

MIB = 1024 * 1024


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "pool 'ray' needs Ray: pip install 'airlab[ray]' (or use --pool local)"
        ) from None
    return ray


_worker_sandboxes: dict[str, Sandbox] = {}
_worker_lock = threading.Lock()


def run_on_worker(sandbox_name: str, request: ExecutionRequest) -> PoolResult:
    """Body of the Ray task: one sandbox per worker process, built there (it probes the node)."""
    from airlab.sandbox import get_sandbox

    with _worker_lock:
        sandbox = _worker_sandboxes.get(sandbox_name)
        if sandbox is None:
            sandbox = _worker_sandboxes[sandbox_name] = get_sandbox(sandbox_name)
    request = dataclasses.replace(request, python=sys.executable)
    started = time.time()
    execution = sandbox.run(request)
    worker = f"ray:{socket.gethostname()}:{os.getpid()}"
    return PoolResult(execution, worker, started, time.time())


class RayParams(Params):
    address: str | None = None
    """None or "local": a private Ray instance sized for the workers; "auto" or
    "ray://host:port": join a running cluster."""


class RayPool(Pool):
    """Candidates as Ray tasks on a local Ray instance or an existing cluster (`address`)."""

    name = "ray"
    Params = RayParams

    def __init__(self, workers: int, sandbox: Sandbox, address: str | None = None) -> None:
        """`address`: None or "local" starts a private Ray instance sized for `workers`
        candidates at once; "auto" or "ray://host:port" joins a running cluster, whose own
        resources then decide how many run at once."""
        super().__init__(workers, sandbox)
        ray = _import_ray()
        self._ray = ray
        self.address = address or "local"
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            self._start(ray)
        self._task = ray.remote(run_on_worker)
        self._refs: dict[Future[PoolResult], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def check_available(cls) -> None:
        _import_ray()

    def _start(self, ray: Any) -> None:
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if self.address == "local":
            # As many CPUs as candidates at once, like the local pool: sleep- or IO-bound
            # candidates then fill every worker; CPU-bound ones share the cores.
            kwargs["num_cpus"] = max(self.workers, os.cpu_count() or 1)
        try:
            ray.init(address=self.address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"pool 'ray': cannot reach Ray at {self.address!r}: {exc}") from None

    def submit(self, request: ExecutionRequest) -> Future[PoolResult]:
        limits = request.limits
        ref = self._task.options(
            num_cpus=limits.cpus,
            num_gpus=limits.gpus,
            memory=limits.memory_mb * MIB,
            max_retries=0,
            name=f"airlab:{request.workdir.name}",
        ).remote(self.sandbox.name, request)
        future: Future[PoolResult] = ref.future()
        with self._lock:
            self._refs[future] = ref
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[PoolResult]) -> None:
        with self._lock:
            self._refs.pop(future, None)

    def cancel_all(self) -> None:
        """Force-cancel every task still running: Ray kills its worker process, whose death
        makes each supervisor kill its candidate's tree (they watch their parent)."""
        with self._lock:
            refs = list(self._refs.values())
        for ref in refs:
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # already finished, or the cluster is gone: nothing left to stop
                continue

    def shutdown(self) -> None:
        with self._lock:
            pending = list(self._refs)
        for future in pending:
            try:
                future.exception()
            except Exception:  # cancelled: nothing to wait for
                continue
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()

    def describe(self) -> str:
        return f"ray pool at {self.address}, {self.workers} candidate(s) at once"


POOLS.register(RayPool.name, RayPool)
