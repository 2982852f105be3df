"""Where a run keeps its files. The journal is the source of truth; the rest is for people."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from airlab.errors import JournalError
from airlab.journal.store import JOURNAL_FILE

CONFIG_FILE = "config.yaml"
RESULT_FILE = "result.json"
NODES_DIR = "nodes"
BEST_DIR = "best"
AGENT_DIR = "agent"
"""A copy of the agent folder the run was started from (`--agent`), so that it resumes with the
same prompts and can be handed on."""


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
        folder = cls(Path(root).resolve())
        if not folder.journal.is_file():
            raise JournalError(f"{folder.journal}: no journal here")
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
