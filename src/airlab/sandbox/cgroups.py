"""Kernel-enforced limits on one candidate's whole tree through a cgroup: memory, processes, CPU.

Used when this process may create cgroups (root, or a delegated subtree). Each execution gets
its own cgroup, nested under the caller's own so that the caller's limits still apply; the
candidate joins it between fork and exec, so every descendant is counted and none can leave.
cgroup v1 (one hierarchy per controller) and v2 (unified) are both handled; on v2 the memory
controller must already be enabled for our subtree, or enable-able, else cgroups are not used.
Stale cgroups of a runner that died are emptied and removed when the next one is created.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from airlab.sandbox.base import ExecutionLimits

PREFIX = "airlab-"
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000
_counter = itertools.count()
_cleaned: set[Path] = set()


@dataclass(frozen=True)
class CgroupSupport:
    """Where this process can create cgroups, or why it cannot."""

    version: int
    """1 or 2; 0 when cgroups cannot be used."""
    parents: dict[str, Path] = field(default_factory=dict)
    """Controller → directory our cgroups are created in (v2: one entry, "unified")."""
    controllers: frozenset[str] = frozenset()
    """Which of memory, pids, cpu our cgroups get."""
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.version > 0 and "memory" in self.controllers

    def describe(self) -> str:
        if not self.available:
            return f"no cgroup ({self.reason})"
        return f"cgroup v{self.version} ({'+'.join(sorted(self.controllers))})"


def _mounts() -> list[tuple[str, Path, str, str]]:
    """(mount root, mount point, fs type, super options) of every cgroup mount."""
    out: list[tuple[str, Path, str, str]] = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            out.append((fields[3], Path(fields[4]), tail[0], tail[2]))
    return out


def _own_paths() -> dict[str, str]:
    """Controller (or "" for v2) → this process's cgroup path."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            out[name] = path
    return out


def _under(mount_root: str, mount_point: Path, own: str) -> Path | None:
    if own != mount_root and not own.startswith(mount_root.rstrip("/") + "/"):
        return None
    return mount_point / own[len(mount_root) :].lstrip("/")


def _can_create(parent: Path) -> bool:
    probe = parent / f"{PREFIX}probe-{os.getpid()}-{next(_counter)}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return False
    return True


@functools.cache
def cgroup_support() -> CgroupSupport:
    """Probe (once) whether and where per-execution cgroups can be created."""
    mounts, own = _mounts(), _own_paths()
    parents: dict[str, Path] = {}
    for root, point, fstype, options in mounts:
        if fstype != "cgroup":
            continue
        for controller in set(options.split(",")) & set(V1_CONTROLLERS):
            parent = _under(root, point, own.get(controller, "/"))
            if parent and controller not in parents and _can_create(parent):
                parents[controller] = parent
    if "memory" in parents:
        return CgroupSupport(1, parents, frozenset(parents))
    for root, point, fstype, _ in mounts:
        if fstype != "cgroup2":
            continue
        parent = _under(root, point, own.get("", "/"))
        if parent is None or not _can_create(parent):
            continue
        enabled = _enable_v2_controllers(parent)
        if "memory" in enabled:
            return CgroupSupport(2, {"unified": parent}, frozenset(enabled))
    if not mounts:
        return CgroupSupport(0, reason="no cgroup filesystem mounted")
    return CgroupSupport(0, reason="cannot create a memory cgroup here (not root or not delegated)")


def _enable_v2_controllers(parent: Path) -> set[str]:
    wanted = {"memory", "pids", "cpu"}
    try:
        available = set((parent / "cgroup.controllers").read_text().split())
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
    except OSError:
        return set()
    for name in sorted((wanted & available) - enabled):
        try:
            (parent / "cgroup.subtree_control").write_text(f"+{name}")
            enabled.add(name)
        except OSError:
            pass
    return enabled & wanted


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _keyed(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Cgroup:
    """One execution's cgroup (one directory per v1 controller, or one v2 directory)."""

    def __init__(self, version: int, dirs: dict[str, Path]) -> None:
        self.version = version
        self.dirs = dirs

    @classmethod
    def create(cls, limits: ExecutionLimits, support: CgroupSupport) -> Cgroup:
        """Create and configure a fresh cgroup; raises OSError when the kernel refuses."""
        name = f"{PREFIX}{os.getpid()}-{next(_counter)}-{time.monotonic_ns() % 10**9}"
        for parent in support.parents.values():
            _clean_stale(parent)
        dirs: dict[str, Path] = {}
        group = cls(support.version, dirs)
        try:
            for controller, parent in support.parents.items():
                dirs[controller] = parent / name
                dirs[controller].mkdir()
            group._configure(limits)
        except BaseException:
            group.remove()
            raise
        return group

    def _configure(self, limits: ExecutionLimits) -> None:
        memory = str(limits.memory_mb * 1024 * 1024)
        quota = str(max(1, limits.cpus) * CPU_PERIOD_US)
        if self.version == 1:
            mem = self.dirs["memory"]
            (mem / "memory.limit_in_bytes").write_text(memory)
            _write(mem / "memory.memsw.limit_in_bytes", memory)
            if "pids" in self.dirs:
                (self.dirs["pids"] / "pids.max").write_text(str(limits.max_processes))
            if "cpu" in self.dirs:
                _write(self.dirs["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
                _write(self.dirs["cpu"] / "cpu.cfs_quota_us", quota)
        else:
            group = self.dirs["unified"]
            (group / "memory.max").write_text(memory)
            _write(group / "memory.swap.max", "0")
            _write(group / "memory.oom.group", "1")
            _write(group / "pids.max", str(limits.max_processes))
            _write(group / "cpu.max", f"{quota} {CPU_PERIOD_US}")

    @property
    def limits_processes(self) -> bool:
        if self.version == 1:
            return "pids" in self.dirs
        return (self.dirs["unified"] / "pids.max").exists()

    @property
    def procs_files(self) -> list[str]:
        """Files the candidate writes its pid into to join (every v1 hierarchy, or the one)."""
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs.values():
            with contextlib.suppress(OSError, ValueError):
                out.update(int(x) for x in (d / "cgroup.procs").read_text().split())
        return out

    def peak_bytes(self) -> int | None:
        """Highest memory use (page cache included) the kernel saw."""
        if self.version == 1:
            return _read_int(self.dirs["memory"] / "memory.max_usage_in_bytes")
        return _read_int(self.dirs["unified"] / "memory.peak")

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer killed in this cgroup."""
        if self.version == 1:
            return _keyed(self.dirs["memory"] / "memory.oom_control", "oom_kill")
        return _keyed(self.dirs["unified"] / "memory.events", "oom_kill")

    def kill(self, budget_s: float = 5.0) -> None:
        """SIGKILL every member until the cgroup is empty (new forks included)."""
        if self.version == 2:
            _write(self.dirs["unified"] / "cgroup.kill", "1")
        give_up = time.monotonic() + budget_s
        while (pids := self.pids()) and time.monotonic() < give_up:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Empty the cgroup and delete its directories (a dying process can delay it a bit)."""
        self.kill()
        for d in self.dirs.values():
            for _ in range(200):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)


def _clean_stale(parent: Path) -> None:
    """Remove cgroups left by airlab processes that died (once per parent and process)."""
    if parent in _cleaned:
        return
    _cleaned.add(parent)
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        parts = entry.name.split("-")
        if not entry.name.startswith(PREFIX) or len(parts) < 3 or not parts[1].isdigit():
            continue
        owner = int(parts[1])
        if owner != os.getpid() and not _pid_alive(owner):
            v2 = (entry / "cgroup.kill").exists() or (entry / "memory.max").exists()
            Cgroup(2 if v2 else 1, {"stale": entry}).remove()
