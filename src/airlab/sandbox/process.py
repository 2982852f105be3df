"""The plain-process sandbox: for machines without bubblewrap (or where namespaces are blocked).

What it relies on, and why:
- Tree kill: a per-execution supervisor process (`supervisor.py`) that is a child subreaper.
  Orphans of the candidate, including double-forked `setsid` daemons that a killpg would miss,
  reparent to it, so it can find and kill every one of them; it has PR_SET_PDEATHSIG so nothing
  outlives a dead runner. It needs no privileges, which is why it is the base mechanism; a cgroup
  is added on top when this process may create one (root here), because the kernel then also
  caps memory, process count and CPU for the whole tree and lists every member, orphan or not.
- Memory: the cgroup limit where available; RLIMIT_AS (above the limit by a slack) when
  `limit_address_space`; and in every case the caller's watchdog polling the tree's RSS.
- Processes: the pids cgroup, else RLIMIT_NPROC for a non-root user (root ignores it).
- Disk: RLIMIT_FSIZE for any one file, the watchdog's workdir quota for the total.
- Files, network, signals: Linux Landlock when the kernel has it (ABI ≥ 1, kernel ≥ 5.13):
  the candidate may read only system directories, its Python's directories, `public/` and its
  workdir (minus every hidden path), /proc (loky and psutil need it) and a few /sys entries,
  write only its workdir (and /dev/shm for multiprocessing semaphores), and cannot ptrace
  outside; from ABI 4 it may
  not open or accept TCP connections; from ABI 6 it may not signal outside processes.
  Without Landlock none of this holds: the candidate runs as this user, sees what it sees.
- Capabilities: run as root, the candidate keeps uid 0 (root owns the interpreter and data
  here) but loses every capability, so it cannot read /proc/kcore or raw devices, open raw
  sockets, or read a privileged process's /proc/<pid>/environ (the runner's API keys); as
  another user, whether that environ is readable depends on the kernel's Landlock (probed).
`public/` is a symlink to the task's public folder: copying it would cost time and disk per
candidate, and a read-only copy is still writable by root; Landlock makes the link's target
read-only where available. HOME and TMPDIR point into the workdir.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from airlab.errors import SandboxError
from airlab.sandbox import gpus, landlock, paths
from airlab.sandbox.base import PUBLIC_DIR_NAME, ExecutionRequest
from airlab.sandbox.env import BASE_NAMES, candidate_env
from airlab.sandbox.supervised import Launch, SupervisedParams, SupervisedSandbox

TMP_DIR_NAME = ".tmp"
SHARED_MEMORY = Path("/dev/shm")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
SYS_ENTRIES = ("/sys/devices/system/cpu", "/sys/devices/system/node", "/sys/fs/cgroup")


class ProcessParams(SupervisedParams):
    use_landlock: bool | None = None
    """Confine file access with Landlock (none: where the kernel has it; true: required)."""


class ProcessSandbox(SupervisedSandbox):
    """Runs the candidate as a plain child process (see the module docstring)."""

    name = "process"
    Params = ProcessParams

    def __init__(
        self,
        *,
        use_cgroups: bool | None = None,
        use_landlock: bool | None = None,
        fallback_reason: str | None = None,
    ) -> None:
        """`use_landlock`, `use_cgroups`: None uses them where available, False never, True
        requires them. `fallback_reason`: why "auto" chose this sandbox, shown by `describe()`."""
        super().__init__(use_cgroups=use_cgroups)
        self.fallback_reason = fallback_reason
        abi = landlock.abi_version() if use_landlock is not False else 0
        if use_landlock and abi < 1:
            raise SandboxError("process: Landlock was required but this kernel does not offer it")
        self.landlock_abi = abi

    def enforces(self) -> frozenset[str]:
        out = {"time", "tree_kill", "memory", "disk"}
        if "pids" in self.cgroups.controllers or os.geteuid() != 0:
            out.add("processes")
        if os.geteuid() == 0 or (self.landlock_abi >= 1 and landlock.blocks_foreign_environ()):
            out.add("environ_isolation")
        if self.landlock_abi >= 1:
            out |= {"file_hiding", "read_only"}
        if self.landlock_abi >= 4:
            out.add("network_tcp")
        if self.landlock_abi >= 6:
            out.add("signal_isolation")
        return frozenset(out)

    def describe(self) -> str:
        kill = "subreaper supervisor" + (" + cgroup" if self.cgroups.available else "")
        memory = (
            f"{self.cgroups.describe()} + RSS watchdog"
            if self.cgroups.available
            else "RSS watchdog (+ RLIMIT_AS if asked)"
        )
        parts = [
            f"process sandbox: time limit and tree kill ({kill})",
            f"memory via {memory}",
            "workdir disk quota via watchdog + RLIMIT_FSIZE",
        ]
        enforced = self.enforces()
        if "processes" not in enforced:
            parts.append("NO process-count cap (root ignores RLIMIT_NPROC, no pids cgroup)")
        if os.geteuid() == 0:
            parts.append("runs as root without any capability")
        if "environ_isolation" not in enforced:
            parts.append("other processes' environments (/proc/<pid>/environ) NOT hidden")
        if "signal_isolation" not in enforced:
            parts.append("can signal other processes of this user")
        if self.landlock_abi >= 1:
            done = ", ".join(landlock.features(self.landlock_abi))
            parts.append(f"Landlock ABI {self.landlock_abi}: {done}")
            if self.landlock_abi < 4:
                parts.append("network NOT blocked")
            else:
                parts.append("UDP NOT blocked")
        else:
            parts.append(
                "NO file hiding, NO read-only system, NO network isolation (no Landlock):"
                " the candidate can read and write whatever this user can"
            )
        text = "; ".join(parts)
        if self.fallback_reason:
            text = f"{self.fallback_reason}; fell back to the {text}"
        return text

    def _prepare(self, request: ExecutionRequest, python: str, workdir: Path) -> Launch:
        public_link = workdir / PUBLIC_DIR_NAME
        _replace_link(public_link, paths.resolve(request.public_dir))
        tmp = workdir / TMP_DIR_NAME
        tmp.mkdir(exist_ok=True)
        env = candidate_env(
            request.limits,
            request.env,
            python=python,
            home=str(workdir),
            tmpdir=str(tmp),
            gpu_ids=request.gpu_ids,
        )
        launch = Launch(
            argv=[python, request.script_name],
            env=env,
            cwd=str(workdir),
            no_new_privs=True,
            drop_caps=os.geteuid() == 0,
            cleanup=lambda: _cleanup(public_link, tmp),
            per_run_env=frozenset({"HOME", "TMPDIR", *_per_run(request.env)}),
        )
        if self.landlock_abi >= 1:
            launch.landlock_fd = self._ruleset(request, python, workdir)
        return launch

    def _ruleset(self, request: ExecutionRequest, python: str, workdir: Path) -> int:
        hidden = paths.hidden_of(request.hidden_paths, request.hidden_data, python)
        system = [Path(d) for d in paths.SYSTEM_DIRS]
        devices = [Path(d) for d in DEVICES]
        machine = [Path("/proc"), *(Path(name) for name in SYS_ENTRIES)]
        if request.limits.gpus > 0:
            for node in gpus.device_nodes(request.gpu_ids):
                devices.extend(sorted(node.iterdir()) if node.is_dir() else [node])
            machine.append(Path("/sys"))
        code = [*system, *paths.python_roots(python)]
        data = paths.package_data_paths(python, request.hidden_data)
        try:
            return landlock.build_ruleset(
                read_exec=paths.carve(code, hidden),
                read_only=[
                    *paths.carve(machine, hidden),
                    *paths.carve([Path(request.public_dir)], hidden, granted=True),
                ],
                read_write=[*paths.carve([workdir], hidden, granted=True), SHARED_MEMORY],
                devices=devices,
                list_only=paths.hidden_ancestors(code, data),
            )
        except OSError as exc:
            raise SandboxError(f"process: cannot build the Landlock ruleset: {exc}") from exc


STARTUP_PREFIXES = ("PYTHON", "LD_")
"""Variables read as an interpreter starts (PYTHONPATH, LD_PRELOAD...): never per execution."""


def _per_run(extra: Mapping[str, str]) -> set[str]:
    """The request's own variables that a forked interpreter can take after it started: not
    those every candidate has (a thread count, which libraries read as they are imported)
    nor those read at start-up."""
    return {k for k in extra if k not in BASE_NAMES and not k.startswith(STARTUP_PREFIXES)}


def _replace_link(link: Path, target: Path) -> None:
    """Point `workdir/public` at the public data, replacing a link or empty dir left there."""
    if link.is_symlink():
        link.unlink()
    elif link.is_dir():
        try:
            link.rmdir()
        except OSError as exc:
            raise SandboxError(f"{link} exists and is not empty; cannot link public data") from exc
    elif link.exists():
        raise SandboxError(f"{link} exists and is not a directory; cannot link public data")
    link.symlink_to(target, target_is_directory=True)


def _cleanup(public_link: Path, tmp: Path) -> None:
    """Remove what the sandbox added to the workdir (never following the candidate's links)."""
    if public_link.is_symlink():
        public_link.unlink()
    if tmp.is_symlink():
        tmp.unlink()
    elif tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
