"""Bundled tasks: sources in the package, data built on first use into the data home.

The package ships each task's `task.yaml`, `description.md`, `prepare.py`, `baseline.py` (and a
stronger `reference.py` where one exists), never its answers: `prepare.py` builds `public/` and
`private/` deterministically from data that ships inside scikit-learn, statsmodels or sktime, into
`$AIRLAB_HOME/tasks/<name>` (default `~/.cache/airlab`). A stamp of the sources' hash decides when
to rebuild. Each `task.yaml` declares its package data in `provenance`, so that no candidate can
read it (see `airlab.tasks.provenance`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

import yaml
from pydantic import ValidationError

from airlab.errors import TaskError
from airlab.params import describe_error
from airlab.registry import Registry
from airlab.scripts import load_script_function
from airlab.tasks.spec import (
    TASK_FILE,
    HiddenSplits,
    TaskSpec,
    load_spec,
)
from airlab.tasks.task import DESCRIPTION_FILE, Task, load_task

BUNDLED_ROOT = Path(__file__).parent / "bundled"
SOURCE_FILES = (
    TASK_FILE,
    DESCRIPTION_FILE,
    "prepare.py",
    "baseline.py",
    "reference.py",
    "leaderboard.csv",
)
STAMP_FILE = ".prepared"


def _installed_task_folder(loaded: object) -> Path:
    """An `airlab.tasks` entry point names a package holding `task.yaml` (or a folder path)."""
    if isinstance(loaded, str | Path):
        folder = Path(loaded)
    elif getattr(loaded, "__file__", None):
        folder = Path(loaded.__file__).parent  # type: ignore[attr-defined]
    else:
        raise TaskError(f"names {loaded!r}, neither a package nor a folder")
    if not (folder / TASK_FILE).is_file():
        raise TaskError(f"{folder} has no {TASK_FILE}")
    return folder


TASKS: Registry[Path] = Registry("task", group="airlab.tasks", adapt=_installed_task_folder)
"""Task name → source folder (with a `prepare.py`) or ready task folder."""

for _source in sorted(BUNDLED_ROOT.iterdir()) if BUNDLED_ROOT.is_dir() else []:
    if (_source / TASK_FILE).is_file():
        TASKS.register(_source.name, _source)


def data_home() -> Path:
    """Where prepared task data and other caches live."""
    return Path(os.environ.get("AIRLAB_HOME", Path.home() / ".cache" / "airlab")).expanduser()


def source_spec(name: str) -> TaskSpec:
    """The spec of a registered task without building its data."""
    return load_spec(TASKS.get(name) / TASK_FILE)


def code_task_names() -> list[str]:
    """The registered tasks whose candidates are scripts graded by a metric: the ones a search
    over code (a benchmark's `--tasks all`) can run, without the plans and revisions."""
    return [name for name in TASKS.names() if not source_spec(name).is_text]


def _sources_digest(source: Path) -> str:
    digest = hashlib.sha256()
    for file_name in SOURCE_FILES:
        path = source / file_name
        if path.is_file():
            digest.update(file_name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare_task(name: str) -> Path:
    """Build (once) the data of a registered task and return its ready folder."""
    source = TASKS.get(name)
    if not (source / "prepare.py").is_file():
        return source
    target = data_home() / "tasks" / name
    digest = _sources_digest(source)
    stamp = target / STAMP_FILE
    if stamp.is_file() and stamp.read_text() == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == digest:
            return target
        building = target.parent / f".{name}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        _run_prepare(source / "prepare.py", building)
        for file_name in SOURCE_FILES:
            if (source / file_name).is_file():
                shutil.copy2(source / file_name, building / file_name)
        (building / STAMP_FILE).write_text(digest)
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
    return target


def _hidden_splits(path: Path) -> HiddenSplits:
    """The task.yaml's `hidden_splits` alone (the rest of the file is validated when loaded)."""
    raw = yaml.safe_load(path.read_text()) if path.is_file() else None
    value = raw.get("hidden_splits") if isinstance(raw, dict) else None
    try:
        return HiddenSplits.model_validate(value or {})
    except ValidationError as exc:
        raise TaskError(describe_error(str(path), exc, HiddenSplits)) from None


def _run_prepare(script: Path, out_dir: Path) -> None:
    from airlab.tasks.prepare import task_hidden_splits

    choice = _hidden_splits(script.parent / TASK_FILE)
    prepare = load_script_function(
        script,
        "prepare",
        "prepare(out_dir)",
        missing_package=lambda name: (
            f"task {script.parent.name!r} builds its data from the Python package {name!r}, "
            "which is not installed: pip install 'airlab[tasks]'"
        ),
    )
    with task_hidden_splits(choice):
        prepare(out_dir)


def resolve_task(ref: str | Path) -> Task:
    """A task by registered name (building its data if needed) or by folder path."""
    path = Path(ref).expanduser()
    if isinstance(ref, Path) or os.sep in str(ref) or path.is_dir():
        if not path.is_dir():
            raise TaskError(f"{path}: not a task folder (no such directory)")
        if not (path / TASK_FILE).is_file():
            raise TaskError(f"{path / TASK_FILE}: file not found")
        if (path / "prepare.py").is_file() and not (path / "public").is_dir():
            raise TaskError(f"{path}: data not built yet; run its prepare.py first")
        return load_task(path)
    return load_task(prepare_task(str(ref)))
