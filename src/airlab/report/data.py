"""A run as reports see it: its nodes, configuration and result, read from the run folder alone.

Reports open the journal read-only, so a view can be drawn while the run is still writing, and
nothing a report does can change a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlab.errors import JournalError
from airlab.evaluation.runs import load_result
from airlab.journal import JOURNAL_FILE, Node, NodeStatus
from airlab.result import FINISHED, RunResult
from airlab.runner.layout import open_run


@dataclass(frozen=True)
class RunData:
    """Everything about one run that a view, plot or export needs."""

    root: Path
    nodes: tuple[Node, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    result: RunResult | None = None
    """`result.json`, present once the run has finished."""

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def config(self) -> dict[str, Any]:
        return self.meta.get("config") or {}

    @property
    def task(self) -> str:
        return str(self.meta.get("task_name", self.config.get("task", "?")))

    @property
    def policy(self) -> str:
        return str(self.config.get("policy", "?"))

    @property
    def agent(self) -> str:
        if self.result and self.result.agent:
            return self.result.agent
        return f"{self.policy}/{self.config.get('backend', '?')}"

    @property
    def metric(self) -> str:
        return str(self.meta.get("metric", "score"))

    @property
    def maximize(self) -> bool:
        return self.meta.get("direction", "maximize") == "maximize"

    @property
    def complete(self) -> bool:
        return self.meta.get("status") in FINISHED

    @property
    def started_at(self) -> float:
        """Wall-clock origin of the run's timeline: its creation, or its first node."""
        created = self.meta.get("created_at")
        if created is not None:
            return float(created)
        return min((n.created_at for n in self.nodes), default=0.0)

    @property
    def final_node_id(self) -> int | None:
        final = self.meta.get("final_node")
        return None if final is None else int(final)

    @property
    def searched(self) -> list[Node]:
        """Nodes that count as steps (cancelled ones never do)."""
        return [n for n in self.nodes if n.status != NodeStatus.CANCELLED]

    def node(self, node_id: int) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise JournalError(f"{self.root}: no node {node_id}")

    def is_better(self, score: float, than: float) -> bool:
        return score > than if self.maximize else score < than


def load_run(path: Path | str) -> RunData:
    """Read a run folder (or its `journal.sqlite`) without writing to it."""
    with open_run(path) as run:
        nodes = tuple(run.journal.nodes())
        meta = run.journal.meta().model_dump(mode="json", exclude_unset=True)
    result = load_result(run.folder.result) if run.folder.result.is_file() else None
    return RunData(run.folder.root, nodes, meta, result)


def find_run_dirs(paths: Iterable[Path | str]) -> list[Path]:
    """Run folders named directly, or found below parent folders (`airlab report runs/`)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.name == JOURNAL_FILE or (path / JOURNAL_FILE).is_file() or not path.is_dir():
            found.append(path)  # load_run reports what is wrong with it, if anything
            continue
        below = sorted(journal.parent for journal in path.rglob(JOURNAL_FILE))
        if not below:
            raise JournalError(f"{path}: no run folder here or below (no {JOURNAL_FILE})")
        found.extend(below)
    return found
