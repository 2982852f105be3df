"""What both real sandboxes share: one supervisor process per execution, watched by the caller.

A subclass only says how to launch the candidate (`_prepare`: the command, its environment and
confinement); this class writes the script, creates the cgroup, starts the supervisor, runs the
watchdog, and turns what happened into an `Execution`. Its only state is the set of supervisors
running now (so `cancel_all` can stop them), so one instance serves many threads at once.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import marshal
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, cast

import psutil

from airlab.errors import SandboxError, WorkerLostError
from airlab.params import Params
from airlab.sandbox import paths
from airlab.sandbox.base import (
    SUBMISSION_FILE,
    Execution,
    ExecutionLimits,
    ExecutionRequest,
    Sandbox,
)
from airlab.sandbox.cgroups import Cgroup, CgroupSupport, cgroup_support
from airlab.sandbox.disk import purge, usage_bytes
from airlab.sandbox.output import SUBMISSION_CAP, OutputSink, read_regular_file, write_new_file
from airlab.sandbox.watchdog import MIB, SupervisorProcess, Watchdog, WatchResult

SUPERVISOR = Path(__file__).with_name("supervisor.py")
STDOUT_FILE = "stdout.txt"
STDERR_FILE = "stderr.txt"
ADDRESS_SPACE_SLACK_MB = 512
"""RLIMIT_AS is set this much above the memory limit: address space runs ahead of RSS (thread
stacks, arenas, mapped libraries), and the tree's memory limit is enforced elsewhere anyway."""
BACKSTOP_S = 10.0
"""The supervisor kills the tree by itself this long after the time limit, if nobody asked."""
SUPERVISOR_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass
class Launch:
    """How a subclass wants the candidate started."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    landlock_fd: int = -1
    no_new_privs: bool = False
    drop_caps: bool = False
    """Clear the bounding set before exec (as root: the candidate then has no capability)."""
    cleanup: Callable[[], None] = field(default=lambda: None)
    warm_from: object | None = None
    """The warm sandbox's zygote checked for this execution (None: start a new interpreter)."""
    per_run_env: frozenset[str] = frozenset()
    """Variables of `env` that belong to this execution alone (its home, the request's own):
    the warm sandbox sets them in the fork, and keeps them out of its zygote."""


class SupervisedParams(Params):
    use_cgroups: bool | None = None
    """Put each candidate in its own cgroup (none: where this machine allows it; true:
    required)."""


class SupervisedSandbox(Sandbox):
    """Base of the `process` and `bwrap` sandboxes (see the module docstring)."""

    Params: ClassVar[type[Params]] = SupervisedParams

    def __init__(self, *, use_cgroups: bool | None = None) -> None:
        """`use_cgroups`: None uses them when this machine allows it; True requires them."""
        self.use_cgroups = use_cgroups
        support = cgroup_support() if use_cgroups is not False else CgroupSupport(0, reason="off")
        if use_cgroups and not support.available:
            raise SandboxError(f"{self.name}: cgroups were required but {support.describe()}")
        self.cgroups = support
        self._active: set[SupervisorProcess] = set()
        self._cancelled: set[SupervisorProcess] = set()
        self._active_lock = threading.Lock()
        self._cancel_round = 0
        """Counts `cancel_all` calls: a run that began before one and registers its supervisor
        only after it is cancelled too, so no run slips through while starting up."""

    def cancel_all(self) -> int:
        """SIGTERM every supervisor this instance runs now: each kills its candidate's whole tree
        and its `run` returns an Execution with `cancelled` set. Returns how many were asked."""
        with self._active_lock:
            self._cancel_round += 1
            running = list(self._active)
            self._cancelled.update(running)
        for proc in running:
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGTERM)
        return len(running)

    @abc.abstractmethod
    def _prepare(self, request: ExecutionRequest, python: str, workdir: Path) -> Launch:
        """Set up the workdir and say how to launch the candidate."""

    def _reserved_names(self) -> set[str]:
        return {STDOUT_FILE, STDERR_FILE, SUBMISSION_FILE, "public"}

    def run(self, request: ExecutionRequest) -> Execution:
        with self._active_lock:
            cancel_round = self._cancel_round
        limits = request.limits
        _check_limits(limits)
        name = request.script_name
        if not name or "/" in name or name.startswith(".") or name in self._reserved_names():
            raise SandboxError(f"invalid script name {name!r}")
        python = paths.find_python(request.python)
        hidden = tuple(Path(h) for h in request.hidden_paths)
        paths.check_python_visible(python, hidden)
        workdir = paths.resolve(request.workdir)
        if not Path(request.public_dir).is_dir():
            raise SandboxError(f"public data folder {request.public_dir} is not a directory")
        sinks: list[OutputSink] = []
        cgroup: Cgroup | None = None
        launch: Launch | None = None
        try:
            try:
                workdir.mkdir(parents=True, exist_ok=True)
                write_new_file(workdir / name, request.script.encode())
                stale = workdir / SUBMISSION_FILE
                if stale.is_symlink() or stale.is_file():
                    stale.unlink()  # an earlier run's submission must not pass for this one's
                sinks.append(OutputSink(workdir / STDOUT_FILE, limits.output_bytes))
                sinks.append(OutputSink(workdir / STDERR_FILE, limits.output_bytes))
            except OSError as exc:
                raise SandboxError(f"{self.name}: cannot prepare workdir {workdir}: {exc}") from exc
            if self.cgroups.available:
                try:
                    cgroup = Cgroup.create(limits, self.cgroups)
                except OSError as exc:
                    raise SandboxError(f"{self.name}: cannot create a cgroup: {exc}") from exc
            launch = self._prepare(request, python, workdir)
            stdout, stderr = sinks
            start = time.monotonic()
            watched, cancelled = self._supervise(
                launch, limits, workdir, cgroup, stdout, stderr, start, cancel_round
            )
            wall = time.monotonic() - start
            gone = (watched.status or {}).get("reason") == "zygote_gone"
            if gone and not cancelled and watched.kill_reason is None:
                raise WorkerLostError(f"{self.name}: the zygote died mid-run; the tree was killed")
            if cancelled:
                stderr.note("cancelled: the tree was killed")
            elif watched.status is None and watched.kill_reason is None:
                if cgroup is not None:
                    cgroup.kill(budget_s=2.0)  # orphans of a dead supervisor are still members
                raise WorkerLostError(
                    f"{self.name}: the supervisor was killed from outside; the tree was killed"
                )
            execution = self._result(request, workdir, watched, wall, cgroup, stdout, stderr)
            return dataclasses.replace(execution, cancelled=True) if cancelled else execution
        finally:
            for sink in sinks:
                sink.close()
            if cgroup is not None:
                cgroup.remove()
            if launch is not None:
                if launch.landlock_fd >= 0:
                    os.close(launch.landlock_fd)
                launch.cleanup()

    def _supervise(
        self,
        launch: Launch,
        limits: ExecutionLimits,
        workdir: Path,
        cgroup: Cgroup | None,
        stdout: OutputSink,
        stderr: OutputSink,
        start: float,
        cancel_round: int,
    ) -> tuple[WatchResult, bool]:
        """Run the supervisor to its end; also say whether `cancel_all` stopped it."""
        status_r, status_w = os.pipe()
        keep = [status_w] + ([launch.landlock_fd] if launch.landlock_fd >= 0 else [])
        config: dict[str, object] = {
            "argv": launch.argv,
            "env": launch.env,
            "cwd": launch.cwd,
            "rlimits": _rlimits(limits, cgroup),
            "cgroup_procs": cgroup.procs_files if cgroup else [],
            "landlock_fd": launch.landlock_fd,
            "drop_caps": launch.drop_caps,
            "no_new_privs": launch.no_new_privs,
            "parent_pid": os.getpid(),
            "deadline_s": limits.time_s + BACKSTOP_S,
            "status_fd": status_w,
        }
        try:
            proc = self._start_supervisor(launch, config, keep)
        except OSError as exc:
            os.close(status_r)
            raise SandboxError(f"{self.name}: cannot start the supervisor: {exc}") from exc
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
        with self._active_lock:
            self._active.add(proc)
            late = self._cancel_round != cancel_round
            if late:  # cancel_all came while this run was starting: it is cancelled too
                self._cancelled.add(proc)
        if late:
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGTERM)
        try:
            watchdog = Watchdog(proc, status_r, stdout, stderr, limits, workdir, cgroup, start)
            watched = watchdog.run()
        finally:
            with self._active_lock:
                self._active.discard(proc)
                cancelled = proc in self._cancelled
                self._cancelled.discard(proc)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            os.close(status_r)
        return watched, cancelled

    def _start_supervisor(
        self, launch: Launch, config: dict[str, object], keep: list[int]
    ) -> SupervisorProcess:
        """Start a fresh `python -I -S supervisor.py` and hand it `config` on its stdin."""
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SUPERVISOR)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=keep,
            env=SUPERVISOR_ENV,
            cwd="/",
            start_new_session=True,
        )
        assert proc.stdin is not None
        try:
            proc.stdin.write(marshal.dumps(config))
            proc.stdin.close()
        except OSError:
            pass  # it died already: the watchdog finds it gone, without a report
        return proc

    def _result(
        self,
        request: ExecutionRequest,
        workdir: Path,
        watched: WatchResult,
        wall: float,
        cgroup: Cgroup | None,
        stdout: OutputSink,
        stderr: OutputSink,
    ) -> Execution:
        limits = request.limits
        status = watched.status or {}
        if status.get("setup_error"):
            raise SandboxError(f"{self.name}: cannot start the candidate: {status['setup_error']}")
        if watched.status is None:
            stderr.note("the supervisor died without a report; the tree was killed")
        reason = watched.kill_reason
        if reason is None and status.get("reason") == "deadline":
            reason = "timeout"
        exit_code = self._exit_code(_as_int(status.get("exit_code")))
        oom_kills = cgroup.oom_kills() if cgroup else 0
        memory = reason == "memory" or (oom_kills > 0 and exit_code != 0)
        final_disk = usage_bytes(workdir, stop_above=limits.disk_mb * MIB)
        disk = reason == "disk" or final_disk > limits.disk_mb * MIB
        if reason == "timeout":
            stderr.note(f"wall-clock limit of {limits.time_s:g} s reached: the tree was killed")
        elif reason == "memory":
            rss = watched.last_rss_bytes / MIB
            stderr.note(
                f"memory limit of {limits.memory_mb} MB exceeded (tree RSS {rss:.0f} MB):"
                " the tree was killed"
            )
        elif memory:
            stderr.note(
                f"memory limit of {limits.memory_mb} MB exceeded: the kernel killed"
                f" {oom_kills} process(es)"
            )
        if disk:
            used = max(final_disk, watched.disk_bytes) / MIB
            stderr.note(
                f"workdir used over {used:.0f} MB, past its {limits.disk_mb} MB quota: the tree"
                " was killed and the files it wrote were removed"
            )
            purge(workdir, keep={request.script_name, STDOUT_FILE, STDERR_FILE})
        submission, why = read_regular_file(workdir / SUBMISSION_FILE, SUBMISSION_CAP)
        if why:
            stderr.note(why)
        peaks = [watched.peak_rss_bytes, int(cast(int, status.get("maxrss_kb") or 0)) * 1024]
        if cgroup is not None:
            peaks.append(cgroup.peak_bytes() or 0)
        duration = status.get("duration_s")
        stdout.close()
        stderr.close()
        return Execution(
            exit_code=None if watched.kill_reason else exit_code,
            timed_out=reason == "timeout",
            memory_exceeded=memory,
            duration_s=float(duration) if isinstance(duration, float) else wall,
            peak_memory_mb=max(peaks) / MIB,
            stdout_tail=stdout.tail(),
            stderr_tail=stderr.tail(),
            submission=submission,
            sandbox=self.name,
            disk_exceeded=disk,
        )

    def _exit_code(self, code: int | None) -> int | None:
        """The candidate's exit code as Python reports it (negative: killed by that signal)."""
        return code


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _check_limits(limits: ExecutionLimits) -> None:
    for name in ("time_s", "memory_mb", "cpus", "disk_mb", "max_processes"):
        value = getattr(limits, name)
        if value <= 0:
            raise SandboxError(f"execution limit {name} must be positive, got {value}")


def _capped(which: int, value: int) -> tuple[int, int, int]:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    return which, value, value


def _rlimits(limits: ExecutionLimits, cgroup: Cgroup | None) -> list[tuple[int, int, int]]:
    """Per-process limits the candidate starts with (inherited by its whole tree)."""
    out = [
        _capped(resource.RLIMIT_CORE, 0),
        _capped(resource.RLIMIT_FSIZE, limits.disk_mb * MIB),
    ]
    if limits.limit_address_space and limits.gpus == 0:  # CUDA reserves huge address ranges
        out.append(_capped(resource.RLIMIT_AS, (limits.memory_mb + ADDRESS_SPACE_SLACK_MB) * MIB))
    if os.geteuid() != 0 and not (cgroup and cgroup.limits_processes):
        out.append(_capped(resource.RLIMIT_NPROC, _user_tasks() + limits.max_processes))
    return out


def _user_tasks() -> int:
    """Tasks (threads) of this real uid now: RLIMIT_NPROC counts them all, not just ours."""
    uid = os.getuid()
    total = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == uid:
                total += proc.info["num_threads"] or 1
        except psutil.Error:
            pass
    return total
