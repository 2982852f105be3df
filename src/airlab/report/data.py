"""A run as reports see it: its nodes, configuration and result, read from the run folder alone.

Reports open the journal read-only, so a view can be drawn while the run is still writing, and
nothing a report does can change a run. What they read is typed: the journal's `RunMeta`, the
recorded `RunConfig` and `result.json` as a `RunResult`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from airlab.errors import ConfigError, JournalError
from airlab.evaluation.runs import load_result
from airlab.journal import JOURNAL_FILE, Node, NodeStatus
from airlab.journal.meta import RunMeta
from airlab.result import FINISHED, RunResult
from airlab.runner.config import RunConfig
from airlab.runner.layout import OpenRun, open_run


@dataclass(frozen=True)
class RunData:
    """Everything about one run that a view, plot or export needs."""

    root: Path
    nodes: tuple[Node, ...]
    meta: RunMeta = field(default_factory=RunMeta)
    """The journal's record of the run (status, task, metric, times)."""
    config: RunConfig | None = None
    """The recorded configuration; None when it no longer validates (a run made by an older
    airlab), so that reports still draw such a run, with `?` where the configuration is needed."""
    result: RunResult | None = None
    """`result.json`, present once the run has finished."""

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def task(self) -> str:
        if self.meta.task_name is not None:
            return self.meta.task_name
        return self.config.task if self.config else "?"

    @property
    def policy(self) -> str:
        return self.config.policy if self.config else "?"

    @property
    def backend(self) -> str:
        return self.config.backend if self.config else "?"

    @property
    def agent(self) -> str:
        if self.result and self.result.agent:
            return self.result.agent
        return f"{self.policy}/{self.backend}"

    @property
    def metric(self) -> str:
        return self.meta.metric or "score"

    @property
    def maximize(self) -> bool:
        return self.meta.direction != "minimize"

    @property
    def status(self) -> str:
        """The run's status; `unknown` for a journal that never recorded one."""
        return self.meta.status if "status" in self.meta.model_fields_set else "unknown"

    @property
    def elapsed_s(self) -> float | None:
        """Seconds the run has searched; None for a journal that never recorded them."""
        return self.meta.elapsed_s if "elapsed_s" in self.meta.model_fields_set else None

    @property
    def complete(self) -> bool:
        return self.meta.status in FINISHED

    @property
    def started_at(self) -> float:
        """Wall-clock origin of the run's timeline: its creation, or its first node."""
        if self.meta.created_at is not None:
            return self.meta.created_at
        return min((n.created_at for n in self.nodes), default=0.0)

    @property
    def final_node_id(self) -> int | None:
        return self.meta.final_node

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
        meta = run.journal.meta()
        config = _config(run)
    result = load_result(run.folder.result) if run.folder.result.is_file() else None
    return RunData(run.folder.root, nodes, meta, config, result)


def _config(run: OpenRun) -> RunConfig | None:
    """The run's configuration, or None when it is missing or no longer validates."""
    try:
        return run.config
    except ConfigError:  # NotARunError (none recorded) is one too
        return None


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
