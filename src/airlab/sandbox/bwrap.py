"""The bubblewrap sandbox: Linux namespaces around the candidate; the default where it works.

The candidate gets its own mount, PID, network, IPC, UTS and (where allowed) user and cgroup
namespaces. Its filesystem is built from an allow-list of read-only binds (system directories and
the directories its Python needs), never from `/`, so anything not listed, including the private
answers, the run folder with its journal and other candidates' workdirs, simply does not exist in
it; a hidden path inside a bound directory (an editable install's source folder, say) is covered
by an empty read-only tmpfs. The workdir is bound read-write at `/workspace` (the host path is
not revealed), `public/` read-only inside it, `/tmp` is a size-capped tmpfs, and `/` itself is
remounted read-only. The network namespace holds only an unconfigured loopback. The PID
namespace and `--die-with-parent` mean that killing bwrap takes the whole tree down, a `setsid`
daemon included. Memory, process count, CPU, time and disk are enforced outside it, by the shared
supervisor, cgroup and watchdog (`supervised.py`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from airlab.errors import SandboxError
from airlab.sandbox import gpus, paths
from airlab.sandbox.base import PUBLIC_DIR_NAME, ExecutionRequest
from airlab.sandbox.env import candidate_env
from airlab.sandbox.supervised import Launch, SupervisedParams, SupervisedSandbox
from airlab.sandbox.watchdog import MIB

WORKSPACE = Path("/workspace")


class BwrapParams(SupervisedParams):
    bwrap: str = "bwrap"
    """The bubblewrap executable (a name on PATH or a path)."""


class BwrapSandbox(SupervisedSandbox):
    """Runs the candidate under bubblewrap (see the module docstring)."""

    name = "bwrap"
    Params = BwrapParams

    def __init__(self, *, bwrap: str = "bwrap", use_cgroups: bool | None = None) -> None:
        super().__init__(use_cgroups=use_cgroups)
        self.bwrap = shutil.which(bwrap) or bwrap

    def enforces(self) -> frozenset[str]:
        out = {
            "time",
            "tree_kill",
            "memory",
            "disk",
            "file_hiding",
            "read_only",
            "network",
            "network_tcp",
            "environ_isolation",
            "signal_isolation",
        }
        if "pids" in self.cgroups.controllers or os.geteuid() != 0:
            out.add("processes")
        return frozenset(out)

    def describe(self) -> str:
        memory = (
            f"{self.cgroups.describe()} + RSS watchdog"
            if self.cgroups.available
            else "RSS watchdog (+ RLIMIT_AS if asked)"
        )
        parts = [
            "bwrap sandbox: namespaces (pid, net, mount, ipc, uts), read-only allow-listed"
            " system and Python dirs, hidden paths absent or masked, workdir the only writable"
            " place, no network, tree dies with bwrap",
            f"memory via {memory}",
            "workdir disk quota via watchdog + RLIMIT_FSIZE, /tmp a capped tmpfs",
        ]
        if "processes" not in self.enforces():
            parts.append("NO process-count cap (root ignores RLIMIT_NPROC, no pids cgroup)")
        return "; ".join(parts)

    def _exit_code(self, code: int | None) -> int | None:
        # bwrap reports a child killed by signal N as exit status 128 + N.
        if code is not None and 128 < code <= 128 + 64:
            return 128 - code
        return code

    def _prepare(self, request: ExecutionRequest, python: str, workdir: Path) -> Launch:
        public_mount = workdir / PUBLIC_DIR_NAME
        if public_mount.is_symlink():
            public_mount.unlink()
        elif public_mount.exists() and not public_mount.is_dir():
            raise SandboxError(f"{public_mount} exists and is not a directory")
        env = candidate_env(
            request.limits,
            request.env,
            python=python,
            home=str(WORKSPACE),
            tmpdir="/tmp",
            gpu_ids=request.gpu_ids,
        )
        argv = [self.bwrap, *self.arguments(request, python, workdir), "--", python]
        return Launch(
            argv=[*argv, request.script_name],
            env=env,
            cwd=str(workdir),
            cleanup=lambda: _remove_empty_dir(public_mount),
        )

    def arguments(self, request: ExecutionRequest, python: str, workdir: Path) -> list[str]:
        """bwrap's options for this request (everything before the command)."""
        hidden = paths.hidden_of(request.hidden_paths, request.hidden_data, python)
        public = paths.resolve(request.public_dir)
        args = [
            "--unshare-all",
            "--unshare-pid",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--hostname",
            "sandbox",
        ]
        # /tmp first: Python or the project may live under /tmp, and their binds must land on
        # top of this tmpfs, not be shadowed by it.
        tmp_bytes = request.limits.disk_mb * MIB
        args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
        roots: list[Path] = []
        for name in paths.SYSTEM_DIRS:
            if os.path.islink(name) and os.path.dirname(name) == "/":
                args += ["--symlink", os.readlink(name), name]
            elif os.path.isdir(name):
                roots.append(paths.resolve(name))
        roots += paths.python_roots(python)
        bound = [r for r in paths.outermost(roots) if not any(paths.within(r, h) for h in hidden)]
        for root in bound:
            args += ["--ro-bind", str(root), str(root)]
        args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
        if request.limits.gpus > 0:
            args += _gpu_arguments(request.gpu_ids)
        args += ["--bind", str(workdir), str(WORKSPACE)]
        args += ["--ro-bind", str(public), str(WORKSPACE / PUBLIC_DIR_NAME)]
        mapping = [(r, r) for r in bound]
        mapping += [(workdir, WORKSPACE), (public, WORKSPACE / PUBLIC_DIR_NAME)]
        for path in hidden:
            if not os.path.lexists(path):
                continue
            for source, dest in mapping:
                if paths.within(path, source):
                    args += _mask(path, dest / path.relative_to(source))
        args += ["--remount-ro", "/", "--chdir", str(WORKSPACE)]
        return args


def _mask(host: Path, target: Path) -> list[str]:
    """Options that make `target` (the sandbox's view of hidden `host`) empty and read-only."""
    if host.is_dir():
        return ["--tmpfs", str(target), "--remount-ro", str(target)]
    return ["--ro-bind", "/dev/null", str(target)]


def _gpu_arguments(gpu_ids: tuple[str, ...] | None) -> list[str]:
    """The assigned GPUs' device nodes (all of them without an assignment), and /sys.

    Checked against fake device lists only: no GPU on the machine this was built on."""
    args: list[str] = []
    for device in gpus.device_nodes(gpu_ids):
        args += ["--dev-bind", str(device), str(device)]
    return [*args, "--ro-bind-try", "/sys", "/sys"]


def _remove_empty_dir(path: Path) -> None:
    """Remove the mount point bwrap left in the workdir, if it is still an empty directory."""
    if path.is_dir() and not path.is_symlink():
        with contextlib.suppress(OSError):
            path.rmdir()
