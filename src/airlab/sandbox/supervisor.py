"""Per-execution supervisor: the one process that owns a candidate's whole process tree.

The sandbox starts it as `python -I -S supervisor.py` with a marshal'd config on stdin. It uses
the standard library only and never imports airlab, so it starts in a few milliseconds.

Why a separate process rather than code in the caller:
- it is a child subreaper (PR_SET_CHILD_SUBREAPER), so every orphan of the candidate, including
  a daemon that double-forked and called setsid, reparents to it and can still be found and
  killed; a killpg cannot reach such a process;
- it gets SIGTERM when the thread that started it dies (PR_SET_PDEATHSIG) and then kills the
  whole tree as on any stop request, so a crashed runner leaves no candidate behind;
- setup between fork and exec (rlimits, cgroup, Landlock) is only safe in a single-threaded
  process, and the runner is multi-threaded.

Protocol: stdout and stderr are handed to the candidate unchanged; when the whole tree is gone the
result goes to `status_fd` as a marshal'd dict. SIGTERM (or SIGINT, SIGHUP) asks it to kill the
tree at once. `deadline_s` is a backstop in case the caller stops watching.

The warm sandbox's zygote (`zygote.py`) imports this module and runs `supervise` in a fork of
itself, with a `become` that runs the script in the forked interpreter instead of exec'ing one.
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, 5 ms of start-up
import ctypes
import marshal
import os
import resource
import sys
import time

TYPE_CHECKING = False  # typing's own import would cost this process 14 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SYS_LANDLOCK_RESTRICT_SELF = 446
KILL_ROUNDS_S = 10.0
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}

_libc = ctypes.CDLL(None, use_errno=True)
_main_status: list[int] = []


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _execve(cfg: dict, err_w: int) -> None:
    """Become the candidate by exec'ing its interpreter (err_w closes on exec: O_CLOEXEC)."""
    argv = cfg["argv"]
    os.execve(argv[0], argv, cfg["env"])


def _child(cfg: dict, err_w: int, become: Callable[[dict, int], None]) -> None:
    """Between fork and exec: confine this process, then become the candidate."""
    try:
        os.setsid()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for procs_file in cfg["cgroup_procs"]:
            with open(procs_file, "w") as handle:
                handle.write(str(os.getpid()))
        for which, soft, hard in cfg["rlimits"]:
            resource.setrlimit(which, (soft, hard))
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        if become is _execve:  # an interpreter that keeps running has them as Python set them
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cfg["cwd"])
        if cfg["drop_caps"]:
            _drop_capabilities()
        if cfg["no_new_privs"]:
            _prctl(PR_SET_NO_NEW_PRIVS, 1)
        ruleset = cfg["landlock_fd"]
        if ruleset >= 0:
            _landlock(ruleset)
        os.closerange(3, err_w)
        os.closerange(err_w + 1, 1 << 16)
        become(cfg, err_w)
    except BaseException as exc:
        os.write(err_w, f"{type(exc).__name__}: {exc}".encode(errors="replace"))
    finally:
        os._exit(127)


def _landlock(ruleset: int) -> None:
    syscall = _libc.syscall
    syscall.restype = ctypes.c_long
    if syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")


def _drop_capabilities() -> None:
    """As root: empty every capability set, so the candidate has no capability.

    It stays uid 0 (it must read the interpreter and data root owns) but cannot read
    /proc/kcore or raw devices, open raw sockets, mount, or read the environment of a
    privileged process (/proc/<pid>/environ needs CAP_SYS_PTRACE then). The bounding and
    ambient sets keep an exec'd program from regaining any; the effective, permitted and
    inheritable sets are cleared too, since a warm candidate runs on in this process, no exec
    recomputing them.
    """
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    if _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAP_AMBIENT_CLEAR_ALL) failed")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    empty = (ctypes.c_uint32 * 6)()  # two (effective, permitted, inheritable) words, all zero
    if _libc.capset(header, empty) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def reap(main: int | None = None) -> None:
    """Collect every exited child (orphans included); remember the status of `main`, the
    candidate's own process, where one is named."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == main:
            _main_status.append(status)


def _cgroup_pids(procs_files: list[str]) -> set[int]:
    pids: set[int] = set()
    for path in procs_files:
        try:
            with open(path) as handle:
                pids.update(int(line) for line in handle if line.strip())
        except OSError:
            pass
    return pids


def _descendants(root: int) -> set[int]:
    """Live (non-zombie) descendants of `root`, found through /proc parent links."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _kill_tree(main: int, procs_files: list[str]) -> None:
    """SIGKILL every descendant and cgroup member until none is left (forks included)."""
    me = os.getpid()
    give_up = time.monotonic() + KILL_ROUNDS_S
    while time.monotonic() < give_up:
        pids = (_descendants(me) | _cgroup_pids(procs_files)) - {me}
        if not pids:
            break
        for pid in pids:
            try:  # noqa: SIM105 - contextlib would slow the supervisor's start
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reap(main)
        time.sleep(0.002)
    reap(main)


def _remove_cgroups(procs_files: list[str]) -> None:
    for path in procs_files:
        for _ in range(100):
            try:
                os.rmdir(os.path.dirname(path))
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.005)


def main() -> None:
    supervise(marshal.loads(sys.stdin.buffer.read()), _execve)


def supervise(cfg: dict, become: Callable[[dict, int], None]) -> None:
    """Start the candidate with `become`, wait for its tree to end, kill what is left, report."""
    status_fd = cfg["status_fd"]
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != cfg["parent_pid"]:
        os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    watched = {signal.SIGCHLD, *STOP_SIGNALS}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    err_r, err_w = os.pipe()
    start = time.monotonic()
    main_pid = os.fork()
    if main_pid == 0:
        _child(cfg, err_w, become)
    os.close(err_w)
    error = b""
    while chunk := os.read(err_r, 4096):
        error += chunk
    os.close(err_r)
    if cfg["landlock_fd"] >= 0:
        os.close(cfg["landlock_fd"])
    reason = None
    if error:
        reason = "setup_error"
    else:
        deadline = start + cfg["deadline_s"]
        while not _main_status:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = "deadline"
                break
            info = signal.sigtimedwait(watched, left)
            if info is None:
                continue
            if info.si_signo == signal.SIGCHLD:
                reap(main_pid)
            elif cfg.get("forked") and info.si_pid == cfg["parent_pid"]:
                reason = "zygote_gone"  # its PR_SET_PDEATHSIG: the caller signals by pidfd
                break
            else:
                reason = "stopped"
                break
    end = time.monotonic()
    _kill_tree(main_pid, cfg["cgroup_procs"])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "exit_code": os.waitstatus_to_exitcode(_main_status[0]) if _main_status else None,
        "reason": reason,
        "setup_error": error.decode(errors="replace") or None,
        "duration_s": end - start,
        "maxrss_kb": usage.ru_maxrss,
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }
    try:
        os.write(status_fd, marshal.dumps(result))
    except OSError:  # nobody reads: the caller died (a warm supervisor's parent, the zygote,
        # may still be exiting, so its pid says nothing). The tree is dead; nobody else will
        _remove_cgroups(cfg["cgroup_procs"])  # remove its cgroup, nor hear of it
    else:
        if os.getppid() != cfg["parent_pid"]:
            _remove_cgroups(cfg["cgroup_procs"])  # the caller died: nobody else will


if __name__ == "__main__":
    main()
