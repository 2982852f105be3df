"""The caller's side of one execution: stream its output and enforce time, memory and disk.

Runs in the calling thread (no signals, no alarm, no extra thread), multiplexing the candidate's
stdout, stderr and the supervisor's status pipe with a selector and checking the limits between
reads. A limit hit sends SIGTERM to the supervisor, which kills the whole tree; if it does not
finish within `KILL_GRACE_S`, the watchdog kills the tree itself (cgroup members and every
descendant it can see) and then the supervisor.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import selectors
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import psutil

from airlab.sandbox.base import ExecutionLimits
from airlab.sandbox.cgroups import Cgroup
from airlab.sandbox.disk import usage_bytes
from airlab.sandbox.output import OutputSink

MIB = 1024 * 1024
MEMORY_POLL_S = 0.1
DISK_POLL_S = 0.5
KILL_GRACE_S = 3.0
DRAIN_S = 1.0
"""After the supervisor exits, how long to keep reading pipes an escaped process might hold."""
CHUNK = 1 << 16


class SupervisorProcess(Protocol):
    """What the watchdog needs of a supervisor: a `subprocess.Popen`, or the warm sandbox's
    handle on one forked by its zygote."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def stderr(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


@dataclass
class WatchResult:
    """What the watchdog saw; the sandbox turns it into an `Execution`."""

    kill_reason: str | None
    """"timeout", "memory" or "disk" when the watchdog stopped the run."""
    status: dict[str, object] | None
    """The supervisor's report, None when it died without one."""
    peak_rss_bytes: int
    last_rss_bytes: int
    disk_bytes: int


def descendants(root_pid: int) -> list[psutil.Process]:
    """Every process under `root_pid` (none once it has gone)."""
    try:
        return psutil.Process(root_pid).children(recursive=True)
    except psutil.Error:
        return []


def tree_rss(tree: list[psutil.Process]) -> int:
    """Sum of the RSS of every process in `tree` (shared pages count once per process)."""
    total = 0
    for child in tree:
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


PSS_MAX_PROCESSES = 64
"""Past this many processes the tree's PSS is not read (a few ms each): RSS decides."""


def tree_pss(tree: list[psutil.Process]) -> int | None:
    """Sum of the proportional set size of every process in `tree`: a page shared by n
    processes counts 1/n in each, so forks of one big parent (a warm zygote, a candidate's own
    multiprocessing) count once. None where it cannot be read."""
    if len(tree) > PSS_MAX_PROCESSES:
        return None
    total = 0
    for child in tree:
        try:
            with open(f"/proc/{child.pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except FileNotFoundError:
            continue  # it ended meanwhile
        except (OSError, ValueError, IndexError):
            return None
    return total


def kill_descendants(root_pid: int, cgroup: Cgroup | None) -> None:
    """Last resort when the supervisor does not answer: kill everything we can find."""
    if cgroup is not None:
        cgroup.kill(budget_s=1.0)
    for _ in range(50):
        try:
            children = psutil.Process(root_pid).children(recursive=True)
        except psutil.Error:
            return
        if not children:
            return
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        time.sleep(0.01)


class Watchdog:
    """Watches one supervisor process until it and its output are done."""

    def __init__(
        self,
        proc: SupervisorProcess,
        status_fd: int,
        stdout: OutputSink,
        stderr: OutputSink,
        limits: ExecutionLimits,
        workdir: Path,
        cgroup: Cgroup | None,
        start: float,
    ) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.proc = proc
        self.sinks: dict[int, OutputSink | None] = {
            proc.stdout.fileno(): stdout,
            proc.stderr.fileno(): stderr,
            status_fd: None,
        }
        self.limits = limits
        self.workdir = workdir
        self.cgroup = cgroup
        self.deadline = start + limits.time_s
        self.kill_reason: str | None = None
        self.peak_rss = 0
        self.last_rss = 0
        self.disk = 0
        self._status = bytearray()
        self._stop_sent_at: float | None = None
        self._hard_killed = False

    def run(self) -> WatchResult:
        selector = selectors.DefaultSelector()
        for fd in self.sinks:
            selector.register(fd, selectors.EVENT_READ)
        # First checks one interval in: a script that ends sooner costs no /proc scan, and its
        # peak memory comes from the supervisor's rusage instead.
        started = time.monotonic()
        next_memory, next_disk = started + MEMORY_POLL_S, started + DISK_POLL_S
        exited_at: float | None = None
        try:
            while selector.get_map():
                now = time.monotonic()
                if exited_at is None and self.proc.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > DRAIN_S:
                    break
                if exited_at is None and self.kill_reason is None:
                    if now >= self.deadline:
                        self._stop("timeout")
                    if now >= next_memory:
                        next_memory = now + MEMORY_POLL_S
                        self._check_memory()
                    if now >= next_disk:
                        next_disk = now + DISK_POLL_S
                        self._check_disk()
                if self._overdue(now, exited_at):
                    self._hard_kill()
                wait = min(next_memory, next_disk, self.deadline) - now
                for key, _ in selector.select(timeout=min(max(wait, 0.0), MEMORY_POLL_S)):
                    self._read(selector, int(key.fd))
        finally:
            selector.close()
        if self.proc.poll() is None:
            self._hard_kill()
        self.proc.wait()
        status = marshal.loads(bytes(self._status)) if self._status else None
        return WatchResult(self.kill_reason, status, self.peak_rss, self.last_rss, self.disk)

    def _overdue(self, now: float, exited_at: float | None) -> bool:
        """The supervisor was asked to stop long ago and is still running."""
        sent = self._stop_sent_at
        return (
            sent is not None
            and exited_at is None
            and not self._hard_killed
            and now - sent > KILL_GRACE_S
        )

    def _read(self, selector: selectors.BaseSelector, fd: int) -> None:
        try:
            data = os.read(fd, CHUNK)
        except OSError:
            data = b""
        if not data:
            selector.unregister(fd)
            return
        sink = self.sinks[fd]
        if sink is None:
            self._status += data
        else:
            sink.write(data)

    def _check_memory(self) -> None:
        tree = descendants(self.proc.pid)
        rss = tree_rss(tree)
        if rss > self.limits.memory_mb * MIB:  # RSS counts a shared page in every sharer: the
            pss = tree_pss(tree)  # costlier PSS decides, where it can be read
            rss = rss if pss is None else pss
        self.last_rss = rss
        self.peak_rss = max(self.peak_rss, rss)
        if rss > self.limits.memory_mb * MIB:
            self._stop("memory")

    def _check_disk(self) -> None:
        quota = self.limits.disk_mb * MIB
        self.disk = usage_bytes(self.workdir, stop_above=quota)
        if self.disk > quota:
            self._stop("disk")

    def _stop(self, reason: str) -> None:
        if self.kill_reason is not None:
            return
        self.kill_reason = reason
        self._stop_sent_at = time.monotonic()
        with contextlib.suppress(OSError):
            self.proc.send_signal(signal.SIGTERM)

    def _hard_kill(self) -> None:
        self._hard_killed = True
        kill_descendants(self.proc.pid, self.cgroup)
        with contextlib.suppress(OSError):
            self.proc.kill()
