"""Start states: a point of a real journal from which a step is taken again.

A start state names a run folder and a node. `replay` poses that node's own step again (same
operator, same parents, the history before it), so the observation is the prompt the node was
written from; `continue` takes the next step from the node (improve it when it is good, debug it
when it failed). Either way the episode runs in a fresh run folder (a fork) holding a copy of the
history it may see, so the source journal is only ever read.

The history a node may see is what existed when it was posed: the nodes before it that had not
finished after it was created (its siblings posed at the same time, as a group's, finished
later), and, for a group's attempt, only the nodes before its group's first (`meta.gym.
seen_before`). So the history never depends on the order in which siblings were recorded; the
nodes kept are renumbered 0..n−1 (parents and `seen_before` follow), the continued node last.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError, JournalError
from airlab.gym.attempts import GYM_META
from airlab.journal import Journal, Node, NodeStatus
from airlab.result import RunStatus
from airlab.runner.config import RunConfig
from airlab.runner.layout import open_run
from airlab.runner.search import Search
from airlab.sandbox import Sandbox

_NOT_COPIED = {"id", "parent_ids", "operator", "note", "debug_depth", "created_at"}
_NEVER_COPIED = {"select_score": None, "test_score": None}
"""The fork never holds the hidden select/test scores of the source's nodes."""


GYM_STATUS = RunStatus.GYM
"""The status of a run folder the gym writes: attempts, not a search to resume or rank."""


class StartKind(StrEnum):
    REPLAY = "replay"
    CONTINUE = "continue"


@dataclass(frozen=True)
class StartState:
    """A node of a journal to start an episode from (see the module docstring)."""

    run_dir: Path
    node_id: int
    kind: StartKind = StartKind.REPLAY

    @classmethod
    def parse(cls, value: Any, kind: StartKind | str = StartKind.REPLAY) -> StartState:
        """From a StartState or a `(run_dir, node_id)` pair; one-line error otherwise."""
        if isinstance(value, StartState):
            return value
        if isinstance(value, tuple | list) and len(value) == 2:
            run_dir, node_id = value
            try:
                return cls(Path(run_dir), int(node_id), StartKind(kind))
            except (TypeError, ValueError):
                pass
        raise ConfigError(f"reset option 'start': expected (run_dir, node_id), got {value!r}")


@dataclass(frozen=True)
class Step:
    """The step an episode takes next: an operator and its parents."""

    operator: str
    parent_ids: tuple[int, ...]


def next_step(node: Node) -> Step:
    """The step that continues from `node`: improve it when good, debug it otherwise."""
    return Step("improve" if node.is_good else "debug", (node.id,))


def source_config(run_dir: Path) -> tuple[RunConfig, Journal]:
    """The configuration and journal of an existing run folder (read only)."""
    run = open_run(run_dir)
    try:
        config = run.config.model_copy(update={"task": run.task_ref})
    except BaseException:
        run.close()
        raise
    return config, run.journal


def fork(
    start: StartState,
    runs_dir: Path,
    *,
    steps: int,
    operator_options: dict[str, Any] | None = None,
    sandbox: Sandbox | None = None,
) -> tuple[Search, Step]:
    """A fresh search holding the history `start` may see, and the step to take from it;
    `operator_options` (the environment's: its mode, above all) apply over the source run's.
    With `sandbox` its candidates run there (the environment's), else in one of the source
    run's kind."""
    config, journal = source_config(start.run_dir)
    try:
        nodes = {node.id: node for node in journal.nodes()}
    finally:
        journal.close()
    if start.node_id not in nodes:
        raise ConfigError(f"{start.run_dir}: no node {start.node_id} in its journal")
    node = nodes[start.node_id]
    keep = seen_by(node, nodes)
    if start.kind == StartKind.REPLAY:
        step = Step(node.operator, node.parent_ids)
    else:
        if not node.status.finished:
            raise ConfigError(f"{start.run_dir}: node {node.id} is not finished ({node.status})")
        step = next_step(node)
        keep.append(node)
    renumber = {n.id: new for new, n in enumerate(keep)}
    step = Step(step.operator, tuple(renumber[p] for p in step.parent_ids))
    forked = config.model_copy(
        update={
            "backend": "templates",
            "backend_options": {},
            "policy": "greedy",
            "policy_params": {},
            "pool": "local",
            "pool_options": {},
            "runs_dir": Path(runs_dir),
            "run_name": None,
            "workers": 1,
            "sandbox": config.sandbox if sandbox is None else sandbox.name,
            "operator_options": {**config.operator_options, **(operator_options or {})},
            "budget": config.budget.model_copy(
                update={
                    "steps": len(keep) + steps,
                    "time_s": None,
                    "tokens": None,
                    "cost_usd": None,
                }
            ),
        }
    )
    search = Search.create(forked, sandbox=sandbox)
    copy_nodes(search, keep)
    source = {"run_dir": str(start.run_dir), "node_id": node.id, "kind": start.kind.value}
    search.journal.set_meta(status=GYM_STATUS, forked_from=source)
    return search, step


def seen_by(node: Node, nodes: dict[int, Node]) -> list[Node]:
    """The nodes `node` could see when it was posed (see the module docstring), its ancestors
    always among them, in id order."""
    meta = node.meta.get(GYM_META) if isinstance(node.meta, dict) else None
    before = node.id
    if isinstance(meta, dict) and isinstance(meta.get("seen_before"), int):
        before = min(before, int(meta["seen_before"]))
    visible = {
        i
        for i, n in nodes.items()
        if i < before and (n.finished_at is None or n.finished_at <= node.created_at)
    }
    pending = list(node.parent_ids)
    while pending:  # a parent is always part of what its child saw
        parent = pending.pop()
        if parent in nodes and parent not in visible:
            visible.add(parent)
            pending.extend(nodes[parent].parent_ids)
    return [nodes[i] for i in sorted(visible)]


def copy_nodes(search: Search, nodes: list[Node]) -> None:
    """Copy `nodes` (in id order) into the search's empty journal as nodes 0..n−1, their
    parents and `meta.gym.seen_before` renumbered alike, never their hidden select/test scores;
    nodes left in flight by the source are copied as cancelled."""
    renumber = {node.id: new for new, node in enumerate(nodes)}
    for node in nodes:
        parents = tuple(renumber[p] for p in node.parent_ids if p in renumber)
        added = search.journal.add(
            node.operator, parents, note=node.note, debug_depth=node.debug_depth
        )
        if added.id != renumber[node.id]:
            raise JournalError(f"fork: the fork's journal was not empty (node {added.id})")
        values = node.model_dump(exclude=_NOT_COPIED)
        values |= _NEVER_COPIED
        seen = values.get("meta", {}).get(GYM_META)
        if isinstance(seen, dict) and isinstance(seen.get("seen_before"), int):
            below = sum(1 for old in renumber if old < seen["seen_before"])
            values["meta"] = {**values["meta"], GYM_META: {**seen, "seen_before": below}}
        if not node.status.finished and node.status != NodeStatus.CANCELLED:
            values["status"] = NodeStatus.CANCELLED
        search.journal.update(added.id, **values)
