"""The warm sandbox's zygote: an interpreter that imported the usual libraries once and forks.

Why: a candidate spends most of its CPU importing numpy, pandas and scikit-learn (about 2 core
seconds on the machines here, against a fraction of that for fitting a bundled task), and a
search runs hundreds of them. The zygote pays the import once; each execution is a fork of it.

How one execution goes: the caller sends a marshal'd supervisor config and four descriptors
(the candidate's stdout and stderr pipes, the status pipe, the Landlock ruleset or -1) over a
SOCK_SEQPACKET socket; the zygote forks a supervisor (`supervisor.supervise`, exactly as the
cold sandbox runs it: subreaper, cgroup, rlimits, no capabilities, Landlock), answers with its
pid, and goes back to waiting. The supervisor's child becomes the candidate by running the script
in the interpreter it inherited (`_become`), as `python script.py` would.

What the zygote holds is what it imported, nothing else: it is started with the candidates'
environment (no key, no run folder), never reads task data, and never runs candidate code
itself. A candidate cannot reach it: its descriptors are closed before the script runs, Landlock
scopes ptrace to the candidate's own domain, and as root the candidate has no capability left.
It exits when its socket closes or the process that started it dies; its supervisors then get
SIGTERM (PR_SET_PDEATHSIG) and kill their trees.

Run as `python zygote.py SOCKET_FD MODULE...`; standard library only, never imports airlab.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import marshal
import os
import select
import signal
import socket
import sys
import traceback
import types

import supervisor  # beside this file: sys.path[0] is this folder while the zygote starts

MAX_MESSAGE = 1 << 22
DESCRIPTORS = 4
POLL_S = 0.5
"""How often the zygote checks that the process that started it is still alive."""


_opened: set[str] = set()
_recording = [True]


def _audit(event: str, args: tuple) -> None:
    """Note every file Python opens while the zygote imports: a module that reads data as it is
    imported would put that data in every fork's memory, so the sandbox starts cold any
    execution whose hidden paths hold one of them. (Audit hooks cannot be removed; after the
    imports this one returns at once.)"""
    if _recording and event == "open" and isinstance(args[0], str | bytes):
        _opened.add(os.path.abspath(os.fsdecode(args[0])))


def _address_space() -> int:
    """This process's virtual size in bytes (0 where /proc does not say)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _preload(names: list[str]) -> tuple[list[str], list[str]]:
    loaded: list[str] = []
    failed: list[str] = []
    for name in names:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except BaseException:  # a missing or broken package: its candidates import it cold
            failed.append(name)
    return loaded, failed


def _become(cfg: dict, err_w: int) -> None:
    """In the confined child: run the script here, then exit as the interpreter would."""
    os.environ.clear()
    os.environ.update(cfg["env"])
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # type: ignore[attr-defined]  # found again from TMPDIR
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # its global state was seeded once, in the zygote: seed it as a new
        numpy.random.seed()  # interpreter would (`random` reseeds itself after a fork)
    argv = cfg["argv"][1:]
    path = os.path.join(cfg["cwd"], argv[0])
    with open(path, "rb") as handle:
        source = handle.read()
    sys.argv = argv
    sys.path.insert(0, cfg["cwd"])  # as `python script.py` puts the script's folder first
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    os.close(err_w)  # set-up is over: what follows is the candidate's, not a set-up error
    os._exit(_run(source, path, main.__dict__))


def _run(source: bytes, path: str, namespace: dict) -> int:
    """Python's own ending: exit status from SystemExit, traceback and 1 on an error, then
    non-daemon threads joined, atexit handlers run, streams flushed."""
    code = 0
    try:
        exec(compile(source, path, "exec"), namespace)
    except SystemExit as stop:
        code = _exit_status(stop.code)
    except BaseException as error:
        trace = error.__traceback__
        # the traceback starts in the script, as a new interpreter's would, not in this file
        error = error.with_traceback(trace.tb_next if trace else None)
        sys.excepthook(type(error), error, error.__traceback__)
        code = 1
    for finish in (_join_threads, _run_atexit):
        try:
            finish()
        except BaseException:
            traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    return code


def _exit_status(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    with contextlib.suppress(BaseException):
        print(value, file=sys.stderr)
    return 1


def _join_threads() -> None:
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()


def _run_atexit() -> None:
    import atexit

    atexit._run_exitfuncs()


def _fork_supervisor(sock: socket.socket, cfg: dict, fds: list[int]) -> int:
    """Fork one supervisor for `cfg`; in the child this never returns."""
    pid = os.fork()
    if pid:
        return pid
    try:
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out_w, err_w, status_w, ruleset = fds
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (out_w, err_w):
            os.close(fd)
        cfg["status_fd"] = status_w
        cfg["landlock_fd"] = ruleset
        cfg["parent_pid"] = os.getppid()
        cfg["forked"] = True
        supervisor.supervise(cfg, _become)
    finally:
        os._exit(0)
    return 0  # unreachable


def _serve(sock: socket.socket, parent: int) -> None:
    while os.getppid() == parent:
        ready, _, _ = select.select([sock], [], [], POLL_S)
        supervisor.reap()
        if not ready:
            continue
        message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, DESCRIPTORS)
        if not message:
            return  # the caller closed its end
        answer: dict[str, object]
        try:
            if len(fds) < DESCRIPTORS - 1:
                raise ValueError(f"expected {DESCRIPTORS - 1} or more descriptors, got {len(fds)}")
            cfg = marshal.loads(message)
            answer = {"pid": _fork_supervisor(sock, cfg, [*fds, -1][:DESCRIPTORS])}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        sock.send(marshal.dumps(answer))


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    del sys.path[0]  # candidates must not import this folder's modules by their bare names
    parent = os.getppid()
    try:
        sys.addaudithook(_audit)
        loaded, failed = _preload(sys.argv[2:])
        _recording.clear()
        ready = {
            "ready": os.getpid(),
            "loaded": loaded,
            "failed": failed,
            "opened": list(_opened),
            "address_space": _address_space(),
        }
        sock.send(marshal.dumps(ready))
    except BaseException as exc:
        sock.send(marshal.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        raise
    _serve(sock, parent)
    supervisor.reap()  # so that the finished supervisors' CPU time reaches whoever waits for it
    os._exit(0)  # at once: its supervisors kill their trees as it dies (no interpreter clean-up)


if __name__ == "__main__":
    main()
