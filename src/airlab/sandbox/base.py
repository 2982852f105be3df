"""The sandbox contract: run one untrusted candidate script and report what happened.

A sandbox never knows about LLMs, tasks or answers. It gets a script, a working directory, the
public data folder and limits; it returns an `Execution`. A failing candidate is a normal result,
not an exception: `SandboxError` is raised only when the sandbox itself cannot be set up.
"""

from __future__ import annotations

import abc
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from airlab.failures import Failure
from airlab.params import NoParams, Params
from airlab.sandbox.paths import PackageData

SUBMISSION_FILE = "submission.csv"
PUBLIC_DIR_NAME = "public"


@dataclass(frozen=True)
class ExecutionLimits:
    """What one candidate execution may use."""

    time_s: float = 600.0
    memory_mb: int = 4096
    cpus: int = 1
    gpus: int = 0
    output_bytes: int = 32_000
    """How much of the end of stdout and of stderr is kept."""
    limit_address_space: bool = True
    """RLIMIT_AS makes big allocations fail fast, but breaks CUDA/JAX, which reserve huge ranges."""
    disk_mb: int = 2048
    """How much the workdir may hold; past it the tree is killed and the workdir emptied."""
    max_processes: int = 512
    """How many processes (and threads) the candidate's tree may hold at once: stops fork bombs."""


@dataclass(frozen=True)
class ExecutionRequest:
    """One candidate to run.

    The script runs with `workdir` as its current directory and only writable place; the public
    data is reachable, read-only, at `workdir/public`. Every path in `hidden_paths` (the task's
    private answers, the run folder with its journal, ...) and every file of `hidden_data` must be
    unreachable from the script, while the packages themselves stay importable.
    """

    script: str
    workdir: Path
    public_dir: Path
    limits: ExecutionLimits = field(default_factory=ExecutionLimits)
    hidden_paths: tuple[Path, ...] = ()
    hidden_data: tuple[PackageData, ...] = ()
    """Data files inside installed packages (a task's declared sources, airlab's own task
    sources) that must be unreadable too; the sandbox resolves them with `python`."""
    python: str = sys.executable
    env: Mapping[str, str] = field(default_factory=dict)
    script_name: str = "solution.py"
    gpu_ids: tuple[str, ...] | None = None
    """The GPUs assigned to this candidate (a Ray pool's `ray.get_gpu_ids()`): only these are
    exposed when `limits.gpus > 0`. None: whatever this process itself may use."""


@dataclass(frozen=True)
class Execution:
    """What happened when a candidate ran."""

    exit_code: int | None
    timed_out: bool
    memory_exceeded: bool
    duration_s: float
    peak_memory_mb: float
    stdout_tail: str
    stderr_tail: str
    submission: bytes | None
    """Contents of `workdir/submission.csv` after the run, or None when the script wrote none."""
    sandbox: str
    """Name of the sandbox implementation that ran it (e.g. "bwrap", "process")."""
    disk_exceeded: bool = False
    """The workdir grew past `ExecutionLimits.disk_mb`; the tree was killed, the workdir emptied."""
    cancelled: bool = False
    """`Sandbox.cancel_all` stopped it: says nothing about the candidate, must not be graded."""

    @property
    def succeeded(self) -> bool:
        return (
            self.exit_code == 0
            and not self.timed_out
            and not self.memory_exceeded
            and not self.disk_exceeded
            and not self.cancelled
        )

    @property
    def failure(self) -> Failure | None:
        """What went wrong (cancelled, timeout, memory, disk, error, no_submission); None if it
        succeeded."""
        if self.cancelled:
            return Failure.CANCELLED
        if self.timed_out:
            return Failure.TIMEOUT
        if self.memory_exceeded:
            return Failure.MEMORY
        if self.disk_exceeded:
            return Failure.DISK
        if self.exit_code != 0:
            return Failure.ERROR
        if self.submission is None:
            return Failure.NO_SUBMISSION
        return None


class Sandbox(abc.ABC):
    """Runs untrusted code under limits. Implementations register in `airlab.sandbox.SANDBOXES`."""

    name: str = "abstract"
    Params: ClassVar[type[Params]] = NoParams
    """The options `get_sandbox(name, options)` accepts; those given become the constructor's
    keywords."""

    @abc.abstractmethod
    def run(self, request: ExecutionRequest) -> Execution:
        """Run the script to completion or until a limit is hit; never raise for script failures."""

    @abc.abstractmethod
    def cancel_all(self) -> int:
        """Stop every execution this instance is running now, killing each one's whole tree.

        Their `run` calls return Executions marked `cancelled`. This is how a runner stops its
        candidates on interrupt without touching any other process of its host. Returns how
        many executions were asked to stop.
        """

    def describe(self) -> str:
        """One line for the run header: what this sandbox enforces on this machine."""
        return self.name

    def close(self) -> None:
        """Release what this sandbox keeps between executions (the warm sandbox's zygotes).

        Call it when no execution is running; a later `run` starts afresh."""
        return None

    def enforces(self) -> frozenset[str]:
        """Which guarantees hold on this machine, as names from `GUARANTEES`.

        Tests use it to expect failure (strictly) exactly where a guarantee is not claimed.
        """
        return frozenset()


GUARANTEES: dict[str, str] = {
    "time": "wall-clock limit",
    "tree_kill": "no process of the candidate outlives the run (setsid and double forks included)",
    "memory": "memory limit on the whole process tree",
    "processes": "cap on the number of processes (fork bombs)",
    "disk": "workdir size quota",
    "file_hiding": "hidden paths and everything outside system, Python, public/ and the workdir"
    " are unreadable",
    "read_only": "nothing outside the workdir is writable",
    "network_tcp": "no TCP connection or listening socket, loopback included",
    "network": "no network at all (only an empty loopback)",
    "environ_isolation": "the environment (/proc/<pid>/environ) of the runner and of other"
    " privileged or outside processes is unreadable",
    "signal_isolation": "no signal (or ptrace) reaches a process outside the sandbox, its own"
    " supervisor and the runner included",
}
"""Names a sandbox may claim in `Sandbox.enforces()`, with what each one means."""
