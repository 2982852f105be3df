"""Which host paths a candidate may see: system and Python dirs, minus every hidden path.

Both sandboxes start from the same allow-list (bwrap binds it, Landlock allows it) so they agree
on what a candidate can read. Paths are compared after resolving symlinks, so a hidden directory
reached through a link is still hidden.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlab.errors import SandboxError

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
"""Read-only system directories every candidate needs (or may need) to run Python."""

SENSITIVE_PATHS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/security/opasswd",
)
"""Host secrets inside the system directories, hidden like the caller's hidden paths."""

_ROOTS_QUERY = (
    "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
    " sys.base_exec_prefix, *sys.path]))"
)


_PACKAGE_QUERY = """
import glob, importlib.util, json, os, sys
out = []
for module, patterns in json.loads(sys.argv[1]):
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        continue
    roots = list(spec.submodule_search_locations or [])
    for root in roots:
        folder = os.path.join(root, *rest)
        for pattern in patterns:
            if pattern == ".":
                out.append(folder)
            else:
                out += glob.glob(os.path.join(glob.escape(folder), pattern), recursive=True)
print(json.dumps(sorted(set(out))))
"""


@dataclass(frozen=True)
class PackageData:
    """Files inside an installed package that a candidate must not read (a task's data set).

    `patterns` are globs (`**` recursive; `.` is the folder itself) relative to the folder of
    the import package `module` (dotted: a subfolder), resolved by the candidate's own Python
    on the machine that runs it, so they follow the package wherever it is installed."""

    module: str
    patterns: tuple[str, ...]


def resolve(path: str | os.PathLike[str]) -> Path:
    """The absolute path with every symlink resolved (a missing tail is kept as is)."""
    return Path(os.path.realpath(path))


def within(path: Path, root: Path) -> bool:
    """Whether `path` is `root` or lies below it (both already resolved)."""
    return _within(str(path), str(root))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def outermost(paths: Iterable[Path]) -> list[Path]:
    """The paths not below another one in the list, sorted and without duplicates."""
    unique = sorted({str(p) for p in paths})
    kept: set[str] = set()
    for path in unique:
        parent, ancestors = path, []
        while parent not in ("/", ""):
            parent = os.path.dirname(parent)
            ancestors.append(parent)
        if path in kept or not any(a in kept for a in ancestors):
            kept.add(path)
    return [Path(p) for p in sorted(kept)]


def carve(roots: Iterable[Path], hidden: Sequence[Path], *, granted: bool = False) -> list[Path]:
    """Paths that together cover `roots` minus every `hidden` path, and nothing more.

    A root inside a hidden path is dropped, unless `granted` (the candidate's own workdir lies
    inside the hidden run folder and is still its to use); a root that contains a hidden path
    is replaced by its children, recursively, so only the hidden path and its ancestors' other
    entries differ. Returned paths are resolved; a child linking to a hidden place is dropped.
    """
    return list(_carve(tuple(str(r) for r in roots), tuple(str(h) for h in hidden), granted))


@functools.lru_cache(maxsize=64)
def _carve(roots: tuple[str, ...], hidden_in: tuple[str, ...], granted: bool) -> tuple[Path, ...]:
    # Cached: every candidate of a run asks the same question (directory listings are taken
    # once; an entry created later is not allowed, which fails closed).
    hidden = [os.path.realpath(h) for h in hidden_in]
    top = {os.path.realpath(r) for r in roots} if granted else set()
    out: list[str] = []
    seen: set[str] = set()

    def visit(path: str) -> None:
        path = os.path.realpath(path)
        if path in seen or not os.path.lexists(path):
            return
        seen.add(path)
        if any(_within(path, h) and not (path in top and path != h) for h in hidden):
            return
        if not any(_within(h, path) for h in hidden) or not os.path.isdir(path):
            out.append(path)
            return
        try:
            children = sorted(os.listdir(path))
        except OSError:
            return
        for child in children:
            visit(os.path.join(path, child))

    for root in roots:
        visit(root)
    return tuple(outermost(Path(p) for p in out))


def hidden_ancestors(roots: Iterable[Path], hidden: Sequence[Path]) -> list[Path]:
    """The folders between each root and a hidden path inside it (the root included); asked
    for hidden package data, whose folders hold packages that must stay importable.

    `carve` leaves them out, so their other entries are allowed one by one but the folders
    themselves cannot be listed; Python's import system lists a `sys.path` folder (and every
    package folder) to find a module in it, so a hidden data file deep inside site-packages
    would hide every package beside it. Landlock lets these be listed without being read."""
    out: set[Path] = set()
    resolved = [resolve(h) for h in hidden]
    for root in {resolve(r) for r in roots}:
        for h in resolved:
            if h == root or not within(h, root):
                continue
            parent = h.parent
            while within(parent, root):
                out.add(parent)
                if parent == root:
                    break
                parent = parent.parent
    return sorted(out)


def find_python(python: str) -> str:
    """The absolute path of the interpreter to run candidates with."""
    found = python if os.path.isabs(python) else shutil.which(python)
    if not found or not os.access(found, os.X_OK):
        raise SandboxError(f"python interpreter {python!r} not found or not executable")
    return os.path.abspath(found)


@functools.cache
def python_roots(python: str) -> tuple[Path, ...]:
    """Directories `python` needs to read: its prefixes and every sys.path entry (cached).

    Asked of the interpreter itself, with the same bare environment a candidate gets, so an
    editable install's source folder or a venv's base interpreter are included.
    """
    entries = _ask(python, "for its library paths", _ROOTS_QUERY)
    roots = [resolve(e) for e in entries if e and os.path.isabs(e)]
    return tuple(r for r in outermost(roots) if r != Path("/") and r.exists())


@functools.cache
def package_data_paths(python: str, data: tuple[PackageData, ...]) -> tuple[Path, ...]:
    """Host paths of `data` as `python` (bare environment, like a candidate's) sees them.

    A package that is not installed has nothing to hide; nothing is imported to find one."""
    if not data:
        return ()
    query = json.dumps([[d.module, list(d.patterns)] for d in data])
    entries = _ask(python, "where its package data lies", _PACKAGE_QUERY, query)
    return tuple(outermost(resolve(e) for e in entries))


def _ask(python: str, what: str, code: str, *args: str) -> Any:
    """The JSON that `code` prints when `python` runs it in the bare environment a candidate
    gets (from `/`, so nothing of the caller's folder is importable)."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(
            [python, "-c", code, *args],
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(f"cannot ask {python} {what}: {exc}") from exc


def hidden_of(
    hidden_paths: Iterable[Path], data: tuple[PackageData, ...], python: str
) -> list[Path]:
    """Every path a candidate must not reach: the request's, its package data, host secrets."""
    found: list[Path | str] = [*hidden_paths, *package_data_paths(python, data), *SENSITIVE_PATHS]
    return [resolve(h) for h in found]


def check_python_visible(python: str, hidden: Sequence[Path]) -> None:
    """Fail clearly when a hidden path would hide the interpreter itself."""
    for root in {resolve(python).parent, resolve(Path(python).parent)}:
        for h in hidden:
            if within(root, resolve(h)):
                raise SandboxError(
                    f"hidden path {h} contains the Python installation {root}; move one of them"
                )
