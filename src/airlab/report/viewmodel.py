"""What the HTML view shows, as plain JSON-ready data: tree layout, per-node details, curves.

The browser only draws; every decision about what a node means (its colour rank, whether it lies on
the path to the final node, which hidden scores may be shown) is made here, where it is tested.
Hidden `select` and `test` scores appear only for the final node, marked as unseen by the search.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

from airlab.journal import Node, NodeStatus
from airlab.journal.tree import RUBRIC_META, RUBRIC_TEST_META
from airlab.report.data import RunData
from airlab.report.highlight import diff_stats, highlight_diff, highlight_python, unified_diff
from airlab.tasks.spec import RUBRIC_METRIC

TAIL_CHARS = 4000
_META_SHOWN_LIMIT = 400


def build_view(run: RunData, *, live: bool = False) -> dict[str, Any]:
    """The whole page's data for one run."""
    nodes = run.searched
    by_id = {node.id: node for node in nodes}
    final_id = run.final_node_id if run.final_node_id in by_id else None
    best = best_search_node(run)
    target = final_id if final_id is not None else (best.id if best else None)
    path = set(primary_path(by_id, target)) if target is not None else set()
    ranks = fitness_ranks(run, nodes)
    positions = tree_layout(nodes)
    origin = run.started_at
    return {
        "run": _run_summary(run, final_id, best, live),
        "nodes": [
            _node_view(run, node, by_id, ranks, positions[node.id], origin, final_id, path)
            for node in nodes
        ],
        "edges": tree_edges(nodes, path),
        "best_path": sorted(path),
        "curve": best_so_far(run),
        "timeline": timeline(run),
        "operators": sorted({node.operator for node in nodes}),
        "statuses": [s.value for s in NodeStatus if s != NodeStatus.CANCELLED],
    }


# ---- structure ---------------------------------------------------------------------------------
def primary_parent(node: Node) -> int | None:
    """The parent a node hangs from in the drawn tree (crossovers also draw their other parents)."""
    return node.parent_ids[0] if node.parent_ids else None


def primary_path(by_id: dict[int, Node], node_id: int) -> list[int]:
    """Ids from a root down to `node_id`, following first parents."""
    path: list[int] = []
    current: int | None = node_id
    while current is not None and current in by_id and current not in path:
        path.append(current)
        current = primary_parent(by_id[current])
    return path[::-1]


def tree_layout(nodes: Iterable[Node]) -> dict[int, dict[str, float]]:
    """Tidy positions: `depth` down the tree, `x` across; leaves side by side, parents centred."""
    nodes = list(nodes)
    ids = {node.id for node in nodes}
    children: dict[int | None, list[int]] = {}
    for node in nodes:
        parent = primary_parent(node)
        children.setdefault(parent if parent in ids else None, []).append(node.id)
    positions: dict[int, dict[str, float]] = {}
    next_leaf = 0.0

    def place(node_id: int, depth: int) -> float:
        nonlocal next_leaf
        kids = sorted(children.get(node_id, []))
        if kids:
            xs = [place(kid, depth + 1) for kid in kids]
            x = (xs[0] + xs[-1]) / 2
        else:
            x = next_leaf
            next_leaf += 1.0
        positions[node_id] = {"x": x, "depth": float(depth)}
        return x

    for root in sorted(children.get(None, [])):
        place(root, 0)
    return positions


def tree_edges(nodes: Iterable[Node], path: set[int]) -> list[dict[str, Any]]:
    """One edge per (parent, child), labelled with the child's operator."""
    nodes = list(nodes)
    ids = {node.id for node in nodes}
    edges = []
    for node in nodes:
        for index, parent in enumerate(node.parent_ids):
            if parent not in ids:
                continue
            edges.append(
                {
                    "source": parent,
                    "target": node.id,
                    "operator": node.operator,
                    "primary": index == 0,
                    "on_best_path": index == 0 and parent in path and node.id in path,
                }
            )
    return edges


# ---- scores ------------------------------------------------------------------------------------
def best_search_node(run: RunData) -> Node | None:
    """The good node with the best hidden search score (earliest on ties)."""
    best: Node | None = None
    for node in run.searched:
        if (
            node.is_good
            and node.search_score is not None
            and (
                best is None or run.is_better(node.search_score, best.search_score)  # type: ignore[arg-type]
            )
        ):
            best = node
    return best


def fitness_ranks(run: RunData, nodes: Iterable[Node]) -> dict[int, float]:
    """Each good node's rank by search score, 0 (worst) to 1 (best); ties share a rank.

    Ranks rather than raw scores colour the tree, so one disastrous candidate does not wash out
    the differences among the good ones.
    """
    scored = [n for n in nodes if n.is_good and n.search_score is not None]
    values = sorted({n.search_score for n in scored}, reverse=not run.maximize)  # type: ignore[type-var]
    if len(values) <= 1:
        return {n.id: 1.0 for n in scored}
    position = {value: i / (len(values) - 1) for i, value in enumerate(values)}
    return {n.id: position[n.search_score] for n in scored}


def best_so_far(run: RunData) -> list[dict[str, Any]]:
    """The best search score after each finished candidate, in finishing order."""
    finished = sorted(
        (n for n in run.searched if n.status.finished),
        key=lambda n: (n.finished_at or n.created_at, n.id),
    )
    points: list[dict[str, Any]] = []
    best: float | None = None
    for count, node in enumerate(finished, start=1):
        score = node.search_score if node.is_good else None
        if score is not None and (best is None or run.is_better(score, best)):
            best = score
        points.append(
            {
                "candidates": count,
                "seconds": round((node.finished_at or node.created_at) - run.started_at, 3),
                "node": node.id,
                "score": score,
                "best": best,
            }
        )
    return points


def timeline(run: RunData) -> list[dict[str, Any]]:
    """Which candidate ran on which worker, and when (seconds from the run's start)."""
    last_seen = max(
        (t for n in run.searched for t in (n.created_at, n.started_at, n.finished_at) if t),
        default=run.started_at,
    )
    bars = []
    for node in run.searched:
        if node.started_at is None:
            continue
        # a node still running is drawn up to the journal's latest event, not to "now": a run
        # that was killed long ago must not stretch the timeline to today
        end = node.finished_at if node.finished_at is not None else max(last_seen, node.started_at)
        bars.append(
            {
                "worker": node.worker or "(starting)",
                "node": node.id,
                "start": round(node.started_at - run.started_at, 3),
                "end": round(end - run.started_at, 3),
                "status": node.status.value,
                "operator": node.operator,
            }
        )
    return sorted(bars, key=lambda bar: (bar["worker"], bar["start"]))


# ---- details -----------------------------------------------------------------------------------
def _run_summary(
    run: RunData, final_id: int | None, best: Node | None, live: bool
) -> dict[str, Any]:
    nodes = run.searched
    final = run.node(final_id) if final_id is not None else None
    return {
        "name": run.name,
        "task": run.task,
        "metric": run.metric,
        "direction": "maximize" if run.maximize else "minimize",
        "policy": run.policy,
        "backend": run.config.backend if run.config else None,
        "agent": run.agent,
        "seed": run.config.seed if run.config else None,
        "workers": run.config.workers if run.config else None,
        "status": run.status,
        "stop_reason": run.meta.stop_reason,
        "elapsed_s": run.elapsed_s,
        "final_node": final_id,
        "best_search_node": best.id if best else None,
        "baseline": run.result.baseline if run.result else None,
        "scores": {
            split: getattr(final, f"{split}_score") if final else None
            for split in ("search", "select", "test")
        },
        "counts": {
            status.value: sum(1 for n in nodes if n.status == status)
            for status in NodeStatus
            if status != NodeStatus.CANCELLED
        },
        "tokens_in": sum(n.tokens_in for n in nodes),
        "tokens_out": sum(n.tokens_out for n in nodes),
        "cost_usd": round(sum(n.cost_usd for n in nodes), 6),
        "airlab_version": run.meta.airlab_version,
        "live": live,
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _seconds(value: float | None, origin: float) -> float | None:
    return None if value is None else round(value - origin, 3)


def _tail(text: str) -> str:
    return text if len(text) <= TAIL_CHARS else "…" + text[-TAIL_CHARS:]


def _node_view(
    run: RunData,
    node: Node,
    by_id: dict[int, Node],
    ranks: dict[int, float],
    position: dict[str, float],
    origin: float,
    final_id: int | None,
    path: set[int],
) -> dict[str, Any]:
    parent = by_id.get(primary_parent(node)) if node.parent_ids else None  # type: ignore[arg-type]
    diff = ""
    if parent is not None:
        diff = unified_diff(
            parent.code,
            node.code,
            old_name=f"node {parent.id}/solution.py",
            new_name=f"node {node.id}/solution.py",
        )
    added, removed = diff_stats(diff)
    is_final = node.id == final_id
    transcript = node.meta.get("transcript")
    verdicts = rubric_verdicts(node, is_final)
    is_text = run.meta.metric == RUBRIC_METRIC
    return {
        "id": node.id,
        "parents": list(node.parent_ids),
        "operator": node.operator,
        "status": node.status.value,
        "failure": node.failure,
        "error": node.error,
        "note": node.note,
        "plan": node.plan,
        "code_html": html.escape(node.code) if is_text else highlight_python(node.code),
        "is_text": is_text,
        "verdicts": verdicts,
        "code_lines": len(node.code.splitlines()),
        "diff_parent": parent.id if parent is not None else None,
        "diff_html": highlight_diff(diff),
        "diff_added": added,
        "diff_removed": removed,
        "search_score": node.search_score,
        "self_reported_score": node.self_reported_score,
        "select_score": node.select_score if is_final else None,
        "test_score": node.test_score if is_final else None,
        "rank": ranks.get(node.id),
        "is_final": is_final,
        "on_best_path": node.id in path,
        "x": position["x"],
        "depth": position["depth"],
        "created_s": _seconds(node.created_at, origin),
        "started_s": _seconds(node.started_at, origin),
        "finished_s": _seconds(node.finished_at, origin),
        "generation_seconds": node.generation_seconds,
        "exec_seconds": node.exec_seconds,
        "peak_memory_mb": node.peak_memory_mb,
        "exit_code": node.exit_code,
        "worker": node.worker,
        "sandbox": node.sandbox,
        "attempts": node.attempts,
        "debug_depth": node.debug_depth,
        "tokens_in": node.tokens_in,
        "tokens_out": node.tokens_out,
        "cost_usd": node.cost_usd,
        "stdout_tail": _tail(node.stdout_tail),
        "stderr_tail": _tail(node.stderr_tail),
        "transcript": transcript_messages(transcript),
        "meta": {
            key: _short(value)
            for key, value in sorted(node.meta.items())
            if key not in ("transcript", RUBRIC_META, RUBRIC_TEST_META)
        },
    }


def rubric_verdicts(node: Node, is_final: bool) -> list[dict[str, Any]]:
    """A text node's per-item verdicts (item, split, value, justification, failure): the
    `search` items for every node, the hidden `select` and `test` ones for the final node only,
    as its hidden scores are."""
    stored = {**(node.meta.get(RUBRIC_META) or {}), **(node.meta.get(RUBRIC_TEST_META) or {})}
    shown = ("search", "select", "test") if is_final else ("search",)
    return [
        {
            "split": split,
            "item_id": verdict.get("item_id"),
            "text": verdict.get("text", ""),
            "value": verdict.get("value"),
            "justification": verdict.get("justification", ""),
            "failure": verdict.get("failure"),
        }
        for split in shown
        for verdict in stored.get(split, [])
    ]


def transcript_messages(transcript: Any) -> list[dict[str, str]]:
    """A ReAct/chat transcript as role + text pairs, whatever shape the backend stored it in."""
    if not isinstance(transcript, list):
        return []
    messages = []
    for item in transcript:
        if isinstance(item, dict):
            role = str(item.get("role") or item.get("type") or "message")
            text = item.get("content", item.get("text", ""))
            messages.append({"role": role, "text": text if isinstance(text, str) else str(text)})
        else:
            messages.append({"role": "message", "text": str(item)})
    return messages


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else None
    if text is not None and len(text) > _META_SHOWN_LIMIT:
        return text[:_META_SHOWN_LIMIT] + "…"
    if isinstance(value, (dict, list)) and len(repr(value)) > _META_SHOWN_LIMIT:
        return repr(value)[:_META_SHOWN_LIMIT] + "…"
    return value
