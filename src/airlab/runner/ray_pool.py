"""The Ray pool: each candidate runs as a Ray task, on a cluster with or without shared storage.

Ray is imported only when this pool is built (`pip install 'airlab[ray]'`). No path of the
driver crosses to a worker: a task gets a `WorkerJob` (the script, the limits, the environment
and the name of the task's public data), never the `ExecutionRequest` with its folders. The
public folder is packed once per content (`public_data.py`), put into Ray's object store once,
and unpacked once per node under that node's working root (`$AIRLAB_WORKER_ROOT`); later
candidates on the node find it there and fetch nothing. The worker runs the sandbox in a fresh
workdir on its own node, deletes it afterwards, and returns the submission, the output tails
and the measurements as values; the driver grades, so hidden answers never leave it. What a
candidate writes besides its submission stays on the worker and is deleted.

Each task asks Ray for the candidate's CPUs, GPUs and memory; a GPU candidate sees only the
GPUs Ray assigned it. Ray's own retries are off (`max_retries=0`): a worker or node that dies
surfaces as a failed future, and the runner counts the attempt, runs the candidate again, and
marks its node lost after too many tries.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError, SandboxError
from airlab.params import Params
from airlab.runner.pool import POOLS, Pool, PoolResult
from airlab.runner.public_data import (
    candidate_workdir,
    ensure_unpacked,
    fingerprint,
    pack,
    worker_root,
)
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest, Sandbox
from airlab.sandbox.paths import PackageData

MIB = 1024 * 1024
STDOUT_COPY = "stdout.txt"
STDERR_COPY = "stderr.txt"


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "pool 'ray' needs Ray: pip install 'airlab[ray]' (or use --pool local)"
        ) from None
    return ray


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker gets for one candidate: values only, no path of the driver."""

    script: str
    script_name: str
    limits: ExecutionLimits
    env: dict[str, str]
    data_digest: str
    data: tuple[Any, ...] = field(default=(), compare=False)
    """The public data's object ref, nested in a tuple so that Ray does not fetch it before
    the worker has looked in its node's cache."""
    label: str = "candidate"
    """A name for the workdir on the worker (the node folder's name on the driver)."""
    hidden_data: tuple[PackageData, ...] = ()
    """Package data to hide, resolved on the worker (its packages may lie elsewhere)."""


def make_job(request: ExecutionRequest, digest: str, data_ref: Any) -> WorkerJob:
    return WorkerJob(
        script=request.script,
        script_name=request.script_name,
        limits=request.limits,
        env={str(k): str(v) for k, v in request.env.items()},
        data_digest=digest,
        data=(data_ref,),
        label=Path(request.workdir).name or "candidate",
        hidden_data=request.hidden_data,
    )


_worker_sandboxes: dict[str, Sandbox] = {}
_worker_lock = threading.Lock()


def _worker_sandbox(name: str) -> Sandbox:
    """One sandbox per worker process, built there (it probes the node it runs on)."""
    from airlab.sandbox import get_sandbox

    with _worker_lock:
        sandbox = _worker_sandboxes.get(name)
        if sandbox is None:
            sandbox = _worker_sandboxes[name] = get_sandbox(name)
        return sandbox


def assigned_gpus(limits: ExecutionLimits, gpu_ids: list[Any]) -> tuple[str, ...] | None:
    """The GPU ids to expose to a candidate: Ray's assignment, or None when it asked for none."""
    if limits.gpus <= 0:
        return None
    return tuple(str(i) for i in gpu_ids)


def run_job(
    sandbox: Sandbox, job: WorkerJob, *, fetch: Callable[[], bytes], gpu_ids: list[Any]
) -> PoolResult:
    """Run one job on this node: public data from the node's cache (fetched on a miss), a
    workdir of its own under the node's root, removed afterwards. Ray-free, so it is testable."""
    began = time.time()
    root = worker_root()
    cached = ensure_unpacked(root, job.data_digest, fetch)
    with candidate_workdir(root, job.label) as workdir:
        request = ExecutionRequest(
            script=job.script,
            workdir=workdir,
            public_dir=cached.path,
            limits=job.limits,
            hidden_paths=(root,),  # other candidates' workdirs; its own and public/ are granted
            hidden_data=job.hidden_data,
            python=sys.executable,
            env=job.env,
            script_name=job.script_name,
            gpu_ids=assigned_gpus(job.limits, gpu_ids),
        )
        started = time.time()
        execution = sandbox.run(request)
    return PoolResult(
        execution,
        worker="",
        started_at=started,
        finished_at=time.time(),
        setup_s=started - began,
        data_fetched=cached.fetched,
    )


def run_on_worker(sandbox_name: str, job: WorkerJob) -> PoolResult:
    """Body of the Ray task."""
    import dataclasses

    import ray

    result = run_job(
        _worker_sandbox(sandbox_name),
        job,
        fetch=lambda: ray.get(job.data[0]),
        gpu_ids=list(ray.get_gpu_ids()),
    )
    node = ray.get_runtime_context().get_node_id()[:8]
    worker = f"ray:{socket.gethostname()}:{node}:{os.getpid()}"
    return dataclasses.replace(result, worker=worker)


@dataclass(frozen=True)
class _Shipped:
    fingerprint: str
    digest: str
    ref: Any
    size: int


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
        candidates at once; "auto" or "host:port" joins a running cluster, whose own
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
        self._data: dict[str, _Shipped] = {}
        self._lock = threading.Lock()
        self._pack_lock = threading.Lock()
        self.shipped_bytes = 0
        """Bytes of public data put into the object store (once per folder content)."""

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

    def _public_data(self, public_dir: Path) -> _Shipped:
        """The object-store copy of this public folder, put there again only if it changed.

        Runs of a sweep submit from several threads: one packs and puts, the others wait and
        reuse it (a lock of its own, so results coming back are never held up)."""
        key = str(Path(public_dir).resolve())
        state = fingerprint(Path(key))
        with self._pack_lock:
            known = self._data.get(key)
            if known is not None and known.fingerprint == state:
                return known
            packed = pack(Path(key))
            same = next((d for d in self._data.values() if d.digest == packed.digest), None)
            if same is not None:
                shipped = _Shipped(state, packed.digest, same.ref, same.size)
            else:
                ref = self._ray.put(packed.payload)
                shipped = _Shipped(state, packed.digest, ref, len(packed.payload))
                self.shipped_bytes += shipped.size
            self._data[key] = shipped
            return shipped

    def submit(self, request: ExecutionRequest) -> Future[PoolResult]:
        outer: Future[PoolResult] = Future()
        outer.set_running_or_notify_cancel()
        try:
            data = self._public_data(request.public_dir)
        except (SandboxError, OSError) as exc:  # as the local pool: a failed execution
            outer.set_exception(SandboxError(f"pool 'ray': cannot ship public data: {exc}"))
            return outer
        job = make_job(request, data.digest, data.ref)
        limits = request.limits
        ref = self._task.options(
            num_cpus=limits.cpus,
            num_gpus=limits.gpus,
            memory=limits.memory_mb * MIB,
            max_retries=0,
            name=f"airlab:{job.label}",
        ).remote(self.sandbox.name, job)
        with self._lock:
            self._refs[outer] = ref
        ref.future().add_done_callback(lambda inner: self._settle(request, inner, outer))
        return outer

    def _settle(
        self, request: ExecutionRequest, inner: Future[PoolResult], outer: Future[PoolResult]
    ) -> None:
        """Hand the worker's result on, leaving the driver's workdir as the local pool would."""
        try:
            try:
                result = inner.result()
            except BaseException as exc:
                outer.set_exception(exc)
                return
            with contextlib.suppress(OSError):  # the copies are for reading, never needed
                _leave_copies(request, result)
            outer.set_result(result)
        finally:
            with self._lock:
                self._refs.pop(outer, None)

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
        with self._pack_lock:
            self._data.clear()
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()

    def describe(self) -> str:
        return f"ray pool at {self.address}, {self.workers} candidate(s) at once"


def _leave_copies(request: ExecutionRequest, result: PoolResult) -> None:
    """The script and the output tails in the driver's workdir (the submission the run writes)."""
    workdir = Path(request.workdir)
    if not workdir.is_dir():
        return
    execution = result.execution
    (workdir / request.script_name).write_text(request.script)
    (workdir / STDOUT_COPY).write_text(execution.stdout_tail)
    (workdir / STDERR_COPY).write_text(execution.stderr_tail)


POOLS.register(RayPool.name, RayPool)
