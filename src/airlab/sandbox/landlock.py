"""Linux Landlock through raw syscalls: filesystem, TCP and signal confinement without root.

Landlock (kernel ≥ 5.13) lets any process restrict itself and its future children to an
allow-list of file hierarchies. The plain-process sandbox builds a ruleset here, in the caller,
and hands its file descriptor to the supervisor, whose forked child applies it right before
exec; the caller itself is never restricted. Features by ABI version: 1 filesystem, 2 file
reparenting (REFER), 3 truncation, 4 TCP bind/connect, 5 device ioctls, 6 abstract Unix sockets and
signals scoped to the sandbox. Landlock also denies ptrace to processes outside the sandbox, but
on the 6.18 kernel this was built on it did NOT stop reading /proc/<pid>/environ, maps or auxv of
an outside process of the same user (/proc/<pid>/cwd and mem were denied): whether it does is
probed (`blocks_foreign_environ`), never assumed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

SYS_CREATE_RULESET = 444
SYS_ADD_RULE = 445
SYS_RESTRICT_SELF = 446
PR_SET_NO_NEW_PRIVS = 38
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13
TRUNCATE = 1 << 14
IOCTL_DEV = 1 << 15

NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

READ = READ_FILE | READ_DIR
READ_EXEC = READ | EXECUTE
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
DEVICE = READ_FILE | WRITE_FILE | TRUNCATE
WRITE_ALL = ((1 << 16) - 1) & ~(MAKE_CHAR | MAKE_BLOCK | IOCTL_DEV)
"""Everything in the workdir except creating device nodes."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _syscall() -> Callable[..., int]:
    call = ctypes.CDLL(None, use_errno=True).syscall
    call.restype = ctypes.c_long
    return call


@functools.cache
def abi_version() -> int:
    """Landlock ABI version of this kernel; 0 when Landlock is missing or disabled."""
    try:
        version = _syscall()(
            SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)
        )
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def handled_fs(abi: int) -> int:
    """All filesystem rights this ABI knows: each one not granted by a rule is denied."""
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def features(abi: int) -> list[str]:
    """What a ruleset from `build_ruleset` enforces at this ABI, in words."""
    if abi < 1:
        return []
    out = ["filesystem allow-list", "no ptrace outside"]
    if abi >= 4:
        out.append("no TCP connect/bind")
    if abi >= 6:
        out.append("no signals to outside processes")
    return out


def build_ruleset(
    read_exec: Iterable[Path],
    read_only: Iterable[Path],
    read_write: Iterable[Path],
    devices: Iterable[Path] = (),
    list_only: Iterable[Path] = (),
) -> int:
    """Create a ruleset allowing exactly these hierarchies; return its fd (caller closes it).

    `list_only` hierarchies may be listed, not read: the folders above a hidden file inside an
    allowed one, which Python's import system must list to find the packages beside it.

    Paths that do not exist are skipped. Symlinks are followed, so a rule covers the real target.
    """
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available on this kernel")
    fs_rights = handled_fs(abi)
    attr = _RulesetAttr(fs_rights, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0, 0)
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    call = _syscall()
    ruleset = call(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in (
            (read_exec, READ_EXEC),
            (read_only, READ),
            (read_write, WRITE_ALL),
            (devices, DEVICE),
            (list_only, READ_DIR),
        ):
            for path in paths:
                _add_path_rule(call, int(ruleset), path, rights & fs_rights)
    except BaseException:
        os.close(ruleset)
        raise
    return int(ruleset)


def _add_path_rule(call: Callable[..., int], ruleset: int, path: Path, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        if call(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)


def restrict_self(ruleset: int) -> None:
    """Apply `ruleset` to the calling thread for good (the supervisor has its own copy)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _syscall()(SYS_RESTRICT_SELF, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")


_ENVIRON_PROBE = """
import os
from pathlib import Path
from airlab.sandbox import landlock
landlock.restrict_self(landlock.build_ruleset([Path("/")], [], []))
try:
    open(f"/proc/{os.getppid()}/environ", "rb").read()
    print("readable")
except OSError:
    print("blocked")
"""


@functools.cache
def blocks_foreign_environ() -> bool:
    """Whether a Landlock-confined process here is refused /proc/<pid>/environ of an outside
    process of the same user (asked once, of a child that confines itself and reads ours)."""
    if abi_version() < 1:
        return False
    try:
        done = subprocess.run(
            [sys.executable, "-c", _ENVIRON_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.stdout.strip() == "blocked"
