"""Where a run keeps its files. The journal is the source of truth; the rest is for people."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError, JournalError
from airlab.journal.store import JOURNAL_FILE, Journal
from airlab.runner.config import RunConfig, load_config

CONFIG_FILE = "config.yaml"
RESULT_FILE = "result.json"
NODES_DIR = "nodes"
BEST_DIR = "best"
AGENT_DIR = "agent"
"""A copy of the agent folder the run was started from (`--agent`), so that it resumes with the
same prompts and can be handed on."""


class NotARunError(JournalError, ConfigError):
    """A path named as a run folder holds no run (no journal, or no configuration in it).
    Both a journal and a configuration error, so every caller's existing handling applies."""


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @classmethod
    def new(cls, runs_dir: Path, task: str, policy: str, name: str | None = None) -> RunFolder:
        """A fresh folder `runs/<time>-<task>-<policy>/` (suffixed if that name is taken)."""
        base = name or f"{time.strftime('%Y%m%d-%H%M%S')}-{task}-{policy}"
        root = Path(runs_dir) / base
        suffix = 1
        while root.exists():
            suffix += 1
            root = Path(runs_dir) / f"{base}-{suffix}"
        root.mkdir(parents=True)
        return cls(root.resolve())

    @classmethod
    def existing(cls, root: Path) -> RunFolder:
        """The run folder at `root`; a folder without a journal (a typo, not a run) is refused
        in one line, before anything is written into it."""
        root = Path(root)
        if root.name == JOURNAL_FILE and root.is_file():
            root = root.parent
        if not root.is_dir():
            raise NotARunError(f"{root}: no such run folder (no journal here)")
        folder = cls(root.resolve())
        if not folder.journal.is_file():
            raise NotARunError(f"{root}: no journal here, not a run folder (no {JOURNAL_FILE})")
        return folder

    @property
    def journal(self) -> Path:
        return self.root / JOURNAL_FILE

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def result(self) -> Path:
        return self.root / RESULT_FILE

    @property
    def agent(self) -> Path:
        return self.root / AGENT_DIR

    @property
    def best(self) -> Path:
        return self.root / BEST_DIR

    def node_dir(self, node_id: int) -> Path:
        return self.root / NODES_DIR / f"{node_id:04d}"


class OpenRun:
    """An existing run folder with its journal open; the configuration is validated when first
    asked for, so that reports, which need none, still open a run whose options are outdated."""

    def __init__(self, folder: RunFolder, journal: Journal) -> None:
        self.folder = folder
        self.journal = journal

    @cached_property
    def stored_config(self) -> dict[str, Any]:
        stored = self.journal.get_meta("config")
        if not isinstance(stored, dict):
            raise NotARunError(f"{self.folder.journal}: no configuration recorded")
        return stored

    @cached_property
    def config(self) -> RunConfig:
        return load_config(self.stored_config, source=str(self.folder.journal))

    @property
    def task_ref(self) -> str:
        """The task as the run resolved it: the recorded task folder while it exists (a task
        built from a name or a benchmark), else the configuration's `task`."""
        task_root = Path(self.journal.get_meta("task_root", ""))
        return str(task_root) if task_root.is_dir() else self.config.task

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> OpenRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_run(
    path: Path | str, *, read_only: bool = True, update: Mapping[str, Any] | None = None
) -> OpenRun:
    """The one way into an existing run folder (or its journal file): `read_only` for reports,
    viewers and forks, which must never write; `update` changes configuration fields on resume
    (`--workers`) and records them in the journal."""
    folder = RunFolder.existing(Path(path))
    journal = Journal.open(folder.journal, read_only=read_only)
    run = OpenRun(folder, journal)
    if update:
        if read_only:
            raise ValueError("open_run: `update` needs read_only=False")
        stored = {**run.stored_config, **update}
        journal.set_meta(config=stored)
        run.stored_config = stored
    return run
