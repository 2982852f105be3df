"""The warm process sandbox: the process sandbox, with candidates forked from a zygote.

A candidate that imports numpy, pandas and scikit-learn spends about 2 core seconds doing so on
the machines here, most of what a bundled task's candidate costs; a search runs hundreds. This
sandbox keeps one zygote per interpreter and environment (`zygote.py`) that imported those
libraries once, and forks each execution's supervisor from it. Everything else is the process
sandbox's: the same supervisor code between fork and run (subreaper, cgroup, rlimits, no
capabilities, Landlock), the same watchdog, the same `Execution`. What differs for the script:
the preloaded modules are already in `sys.modules`, and numpy's global random state is reseeded
in each fork, as a fresh interpreter would seed it.

The zygote is started with the candidates' environment (never the caller's: keys stay out), in a
scratch home of its own, and exits when this sandbox is garbage collected or this process dies.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, ClassVar

from airlab.errors import SandboxError
from airlab.sandbox import paths
from airlab.sandbox.base import ExecutionRequest
from airlab.sandbox.process import ProcessParams, ProcessSandbox
from airlab.sandbox.supervised import Launch
from airlab.sandbox.watchdog import SupervisorProcess

ZYGOTE = Path(__file__).with_name("zygote.py")
DEFAULT_PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.preprocessing",
    "sklearn.pipeline",
    "sklearn.impute",
    "sklearn.neighbors",
    "sklearn.svm",
    "sklearn.tree",
)
"""What the bundled tasks' candidates import (the templates' and the small model's scripts)."""
START_TIMEOUT_S = 120.0
REPLY_TIMEOUT_S = 30.0
MAX_ZYGOTES = 8
"""Distinct (interpreter, environment) pairs served warm; further ones start cold."""
MAX_MESSAGE = 1 << 22


class WarmParams(ProcessParams):
    preload: tuple[str, ...] = DEFAULT_PRELOAD
    """Modules the zygote imports once (one that fails to import is left to the candidates)."""


class ForkedSupervisor:
    """A supervisor forked by a zygote: not this process's child, so it is watched and signalled
    through a pidfd (no pid reuse can redirect a signal)."""

    def __init__(self, pid: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self.stdout: IO[bytes] | None = open(stdout, "rb", buffering=0)  # noqa: SIM115
        self.stderr: IO[bytes] | None = open(stderr, "rb", buffering=0)  # noqa: SIM115
        self.returncode: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # already over and reaped by the zygote
            self._pidfd = -1
            self.returncode = 0
        else:
            weakref.finalize(self, _close_quietly, self._pidfd)

    def poll(self) -> int | None:
        return 0 if self._exited(0.0) else None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for it to end; its real status arrives on the status pipe, so this says 0."""
        if not self._exited(timeout):
            raise subprocess.TimeoutExpired("supervisor", timeout or 0.0)
        return 0

    def _exited(self, timeout: float | None) -> bool:
        if self.returncode is None and select.select([self._pidfd], [], [], timeout)[0]:
            self.returncode = 0
        return self.returncode is not None

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


class Zygote:
    """One warm interpreter: started once, asked for a supervisor per execution."""

    def __init__(self, python: str, env: dict[str, str], modules: tuple[str, ...]) -> None:
        self.home = tempfile.mkdtemp(prefix="airlab-zygote-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        self._lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(
                [python, str(ZYGOTE), str(theirs.fileno()), *modules],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=[theirs.fileno()],
                env={**env, "HOME": self.home, "TMPDIR": self.home},
                cwd=self.home,
                start_new_session=True,
            )
        except OSError as exc:
            self.close()
            raise SandboxError(f"warm: cannot start the zygote with {python}: {exc}") from exc
        finally:
            theirs.close()
        weakref.finalize(self, _stop, self._sock, self.proc, self.home)
        try:
            ready = self._answer(START_TIMEOUT_S)
        except SandboxError:
            self.close()
            raise
        if "ready" not in ready:
            self.close()
            raise SandboxError(f"warm: the zygote could not start: {ready.get('error')}")
        self.loaded = _strings(ready.get("loaded"))
        self.failed = _strings(ready.get("failed"))
        self.opened = tuple(paths.resolve(Path(f)) for f in _strings(ready.get("opened")))
        """Every file Python opened while the zygote imported its modules (resolved)."""
        self._verdicts: dict[tuple[Path, ...], bool] = {}
        size = ready.get("address_space")
        self.address_space = size if isinstance(size, int) else 0
        """Its virtual size after the imports: every fork starts with it."""

    def read_any_of(self, hidden: list[Path]) -> bool:
        """Whether the zygote opened a file below one of `hidden` (resolved paths)."""
        key = tuple(hidden)
        if key not in self._verdicts:
            self._verdicts[key] = any(paths.within(f, h) for f in self.opened for h in hidden)
        return self._verdicts[key]

    def fork(self, config: dict[str, object], fds: list[int]) -> int:
        """A new supervisor for `config`, given the candidate's stdout, stderr, the status pipe
        and the Landlock ruleset; returns its pid."""
        with self._lock:
            try:
                socket.send_fds(self._sock, [marshal.dumps(config)], fds)
                answer = self._answer(REPLY_TIMEOUT_S)
            except (OSError, SandboxError) as exc:
                # a late answer would be read as the next fork's: this zygote cannot be trusted
                # any more (closing it stops its supervisors, which kill their trees)
                self.close()
                raise SandboxError(f"warm: lost the zygote: {exc}") from exc
        if "pid" not in answer:
            raise SandboxError(f"warm: the zygote could not fork: {answer.get('error')}")
        return int(answer["pid"])  # type: ignore[call-overload]

    def alive(self) -> bool:
        return self._sock.fileno() >= 0 and self.proc.poll() is None

    def close(self) -> None:
        _stop(self._sock, getattr(self, "proc", None), self.home)

    def _answer(self, timeout: float) -> dict[str, object]:
        self._sock.settimeout(timeout)
        try:
            message = self._sock.recv(MAX_MESSAGE)
        except OSError as exc:
            raise SandboxError(f"warm: no answer from the zygote: {exc}") from exc
        if not message:
            code = self.proc.poll()
            raise SandboxError(f"warm: the zygote exited (status {code})")
        answer = marshal.loads(message)
        if not isinstance(answer, dict):
            raise SandboxError("warm: the zygote answered garbage")
        return answer


def _with_address_space(rlimits: object, zygote: Zygote) -> list[tuple[int, int, int]]:
    """The address-space limit raised by what the fork starts with: the preloaded modules'
    mappings (about 600 MB for the default set) are not the candidate's allocations, and a cold
    candidate importing less would not have them (memory itself is limited on the tree's RSS,
    or by its cgroup)."""
    out = []
    for which, soft, hard in rlimits if isinstance(rlimits, list) else []:
        if which == resource.RLIMIT_AS and soft != resource.RLIM_INFINITY:
            ceiling = resource.getrlimit(resource.RLIMIT_AS)[1]  # ours binds the fork too
            raised = soft + zygote.address_space
            soft = hard = raised if ceiling == resource.RLIM_INFINITY else min(raised, ceiling)
        out.append((which, soft, hard))
    return out


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def _stop(sock: socket.socket, proc: subprocess.Popen[bytes] | None, home: str) -> None:
    """Close the zygote's socket (it exits on EOF), reap it, remove its home."""
    sock.close()
    if proc is not None:
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(home, ignore_errors=True)


class WarmProcessSandbox(ProcessSandbox):
    """The process sandbox, forking candidates from warm zygotes (see the module docstring)."""

    name = "warm"
    Params: ClassVar[type[WarmParams]] = WarmParams

    def __init__(
        self,
        *,
        use_cgroups: bool | None = None,
        use_landlock: bool | None = None,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
    ) -> None:
        super().__init__(use_cgroups=use_cgroups, use_landlock=use_landlock)
        if not hasattr(os, "pidfd_open"):
            raise SandboxError("warm: this Python has no os.pidfd_open (Linux 5.3+ needed)")
        self.preload = tuple(preload)
        self._zygotes: dict[tuple[str, tuple[tuple[str, str], ...]], Zygote] = {}
        self._zygotes_lock = threading.Lock()
        self._cold: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        """Environments whose zygote could not start, and why."""
        self.cold_starts = 0
        """Executions started in a new interpreter: no zygote left for their environment, or
        theirs read a file their request hides while importing."""

    def describe(self) -> str:
        modules = ", ".join(self.preload) or "nothing"
        return (
            f"warm: each candidate is a fork of an interpreter that imported {modules} once;"
            f" then as the {super().describe()}"
        )

    def zygote_pids(self) -> list[int]:
        """The process ids of this sandbox's live zygotes."""
        with self._zygotes_lock:
            return [z.proc.pid for z in self._zygotes.values() if z.alive()]

    def close(self) -> None:
        """Stop every zygote (a zygote's running supervisors then kill their trees)."""
        with self._zygotes_lock:
            zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            zygote.close()

    def _prepare(self, request: ExecutionRequest, python: str, workdir: Path) -> Launch:
        launch = super()._prepare(request, python, workdir)
        try:  # a zygote starts here, before the candidate's clock does
            zygote = self._zygote(launch)
            hidden = paths.hidden_of(request.hidden_paths, request.hidden_data, python)
            if zygote is None or zygote.read_any_of(hidden):
                self.cold_starts += 1
            else:
                launch.warm_from = zygote
        except BaseException:
            launch.cleanup()
            if launch.landlock_fd >= 0:
                os.close(launch.landlock_fd)
            raise
        return launch

    def _start_supervisor(
        self, launch: Launch, config: dict[str, object], keep: list[int]
    ) -> SupervisorProcess:
        zygote = launch.warm_from
        if not isinstance(zygote, Zygote):
            return super()._start_supervisor(launch, config, keep)
        config = {**config, "rlimits": _with_address_space(config["rlimits"], zygote)}
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds = [out_w, err_w, *keep]  # keep: the status pipe, then the Landlock ruleset if any
        try:
            pid = zygote.fork(config, fds)
        except SandboxError:  # it died since `_prepare`: this one starts cold, the next anew
            for fd in (out_r, err_r):
                os.close(fd)
            self.cold_starts += 1
            return super()._start_supervisor(launch, config, keep)
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (out_w, err_w):
                os.close(fd)
        return ForkedSupervisor(pid, out_r, err_r)

    def _zygote(self, launch: Launch) -> Zygote | None:
        """The live zygote for this launch's interpreter and environment, started if need be;
        None where there is none: too many environments, or one that could not start (a
        Python without what the zygote needs: its executions start cold, as they can)."""
        python = launch.argv[0]
        env = {k: v for k, v in launch.env.items() if k not in launch.per_run_env}
        key = (python, tuple(sorted(env.items())))
        with self._zygotes_lock:
            zygote = self._zygotes.get(key)
            if zygote is not None and not zygote.alive():
                zygote.close()
                del self._zygotes[key]
                zygote = None
            if zygote is None and key not in self._cold:
                if len(self._zygotes) >= MAX_ZYGOTES:
                    return None
                try:
                    zygote = Zygote(python, env, self.preload)
                except SandboxError as exc:
                    self._cold[key] = str(exc)
                    return None
                self._zygotes[key] = zygote
            return zygote
