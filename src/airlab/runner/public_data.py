"""A task's public data as bytes: packed once on the driver, unpacked once per worker node.

Clusters without a shared filesystem cannot read the driver's `public/` folder, so the Ray pool
ships it: the driver packs the folder into a deterministic tarball whose SHA-256 is its name,
puts it into the object store once, and each node keeps one unpacked copy per digest under its
own working root. A folder that changes (a file added, removed or rewritten) gets a new digest,
so a stale copy is never used. Nothing here imports Ray.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from airlab.errors import SandboxError

WORKER_ROOT_ENV = "AIRLAB_WORKER_ROOT"
"""Where a worker node keeps its candidates' workdirs and its cache of public data."""
PUBLIC_CACHE = "public"
WORK_DIR = "work"


def worker_root() -> Path:
    """This node's working root: `$AIRLAB_WORKER_ROOT`, else `<tmp>/airlab-worker`."""
    chosen = os.environ.get(WORKER_ROOT_ENV) or os.path.join(tempfile.gettempdir(), "airlab-worker")
    root = Path(chosen).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under `folder` (links followed), as (relative name, path), sorted."""
    for top, dirs, names in os.walk(folder, followlinks=True):
        dirs.sort()
        for name in sorted(names):
            path = Path(top) / name
            if path.is_file():
                yield path.relative_to(folder).as_posix(), path


def fingerprint(folder: Path) -> str:
    """A cheap identity of the folder's state (names, sizes, times, inodes): no file is read.

    A file rewritten in place with the same size within the filesystem's time resolution
    would go unnoticed; tasks' public data is written once, by `prepare`."""
    digest = hashlib.sha256()
    for name, path in _files(folder):
        stat = path.stat()
        state = (name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        digest.update(repr(state).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class PackedData:
    """A public folder as one tarball, named by the SHA-256 of its bytes."""

    digest: str
    payload: bytes
    files: int


def pack(folder: Path) -> PackedData:
    """Tar `folder` deterministically (sorted, no owners, no times): same content, same digest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SandboxError(f"public data folder {folder} is not a directory")
    buffer = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in _files(folder):
            info = tarfile.TarInfo(name)
            info.size = path.stat().st_size
            info.mode = 0o644
            with path.open("rb") as handle:
                archive.addfile(info, handle)
            count += 1
    payload = buffer.getvalue()
    return PackedData(hashlib.sha256(payload).hexdigest(), payload, count)


@dataclass(frozen=True)
class CachedData:
    """Where a node's copy of one public folder lies, and what getting it cost."""

    path: Path
    fetched: bool
    """False when an earlier candidate on this node had already unpacked it."""
    seconds: float


def ensure_unpacked(root: Path, digest: str, fetch: Callable[[], bytes]) -> CachedData:
    """This node's copy of the data named `digest`, fetched and unpacked only the first time.

    Candidates on the same node may ask at once: a lock file makes one of them fetch while the
    others wait, and a copy appears under its final name only once complete.
    """
    started = time.monotonic()
    if not digest or not all(c in "0123456789abcdef" for c in digest):
        raise SandboxError(f"invalid public data digest {digest!r}")
    cache = root / PUBLIC_CACHE
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / digest
    if final.is_dir():
        return CachedData(final, False, time.monotonic() - started)
    with _locked(cache / f"{digest}.lock"):
        if final.is_dir():
            return CachedData(final, False, time.monotonic() - started)
        payload = fetch()
        if hashlib.sha256(payload).hexdigest() != digest:
            raise SandboxError(f"public data {digest[:12]}: received bytes do not match it")
        partial = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=cache))
        try:
            _unpack(payload, partial)
            os.rename(partial, final)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return CachedData(final, True, time.monotonic() - started)


def _unpack(payload: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:") as archive:
        for member in archive.getmembers():
            name = Path(member.name)
            if not member.isfile() or name.is_absolute() or ".." in name.parts:
                raise SandboxError(f"public data: refusing archive entry {member.name!r}")
        archive.extractall(into, filter="data")


@contextlib.contextmanager
def candidate_workdir(root: Path, label: str) -> Iterator[Path]:
    """A fresh workdir under the node's root, removed afterwards; held by a lock meanwhile, so
    the next candidate on the node can remove the ones whose worker was killed mid-run."""
    work = root / WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    remove_abandoned(work)
    token = f"{label}-{uuid.uuid4().hex[:12]}"
    pending = work / f".{token}.locking"
    with pending.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        lock = work / f"{token}.lock"
        os.rename(pending, lock)  # visible to `remove_abandoned` only once held
        workdir = work / token
        workdir.mkdir()
        try:
            yield workdir
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            lock.unlink(missing_ok=True)


def remove_abandoned(work: Path) -> list[Path]:
    """Remove the workdirs no live worker holds (their worker died before cleaning up)."""
    removed = []
    for lock in sorted(work.glob("*.lock")):
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running candidate's
            workdir = lock.with_suffix("")
            shutil.rmtree(workdir, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(workdir)
    return removed


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
