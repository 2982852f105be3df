"""One driver per run folder: an exclusive lock held while the driver lives.

The lock is `flock` on `RUN_DIR/driver.lock`, so the kernel releases it when the process dies,
however it dies (SIGKILL included): a stale lock never blocks a resume. The file records who holds
it, so a second driver is refused with one line naming that process. Readers (view, report, rank)
never take it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import IO

from airlab.errors import RunLockedError

LOCK_FILE = "driver.lock"


class RunLock:
    """`with RunLock(run_dir):` drives the run; `check()` fails now if another process does."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / LOCK_FILE
        self._stream: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stream = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            holder = stream.read().strip()
            stream.close()
            raise RunLockedError(_refusal(self.path.parent, holder)) from None
        stream.seek(0)
        stream.truncate()
        stream.write(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        )
        stream.flush()
        self._stream = stream

    def release(self) -> None:
        if self._stream is not None:
            fcntl.flock(self._stream.fileno(), fcntl.LOCK_UN)
            self._stream.close()
            self._stream = None

    def check(self) -> None:
        """Fail in one line if another live process holds the lock (take it and let go)."""
        self.acquire()
        self.release()

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _refusal(root: Path, holder: str) -> str:
    try:
        info = json.loads(holder)
        since = time.strftime("%H:%M:%S", time.localtime(float(info["since"])))
        who = f"process {info['pid']} on {info['host']} (since {since})"
    except (ValueError, KeyError, TypeError):
        who = "another process"
    return f"{root}: this run is being driven by {who}; wait for it to end or stop it first"
