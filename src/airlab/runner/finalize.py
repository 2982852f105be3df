"""The end of a run: choose the final node on the hidden `select` split, score it once on `test`.

Protocol (hidden consistent evaluation): the best `top_k` nodes by `search` score are compared on
`select`, which the policy never saw; the winner — ties go to the better search score, then to the
earlier node — is the only node scored on `test`, unless the run asks to score every node on
`test` for analysis, which happens after the choice and cannot change it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import airlab
from airlab.journal import Node, NodeStatus, SearchTree
from airlab.runner.config import Selection
from airlab.sandbox.base import SUBMISSION_FILE

if TYPE_CHECKING:
    from airlab.runner.run import Run


def choose_final(nodes: Sequence[Node], *, maximize: bool, selection: Selection) -> Node | None:
    """The node the run submits, by the configured protocol (see the module docstring)."""
    tree = SearchTree.from_nodes(nodes, maximize=maximize, fitness_source=selection.fitness)
    if selection.fitness == "self_reported":
        best = tree.best()
        return None if best is None else _by_id(nodes, best.id)
    top = [_by_id(nodes, node.id) for node in tree.ranked()[: selection.top_k]]
    if not top:
        return None
    sign = 1.0 if maximize else -1.0

    def key(node: Node) -> tuple[float, float, int]:
        select = node.select_score if node.select_score is not None else -sign * math.inf
        return (-sign * select, -sign * (node.search_score or 0.0), node.id)

    return min(top, key=key)


def _by_id(nodes: Sequence[Node], node_id: int) -> Node:
    return next(node for node in nodes if node.id == node_id)


def _score_test(run: Run, node: Node) -> float | None:
    submission = run.folder.node_dir(node.id) / SUBMISSION_FILE
    data = submission.read_bytes() if submission.is_file() else None
    grade = run.grader.grade(data, ("test",))
    return grade.scores.get("test") if grade.valid else None


def finalize_run(run: Run) -> dict[str, Any]:
    """Choose, score on test, copy the best solution, and write `result.json` (idempotent)."""
    journal = run.journal
    final = choose_final(
        journal.nodes(), maximize=run.task.spec.maximize, selection=run.config.selection
    )
    if final is not None and final.test_score is None:
        final = journal.update(final.id, test_score=_score_test(run, final))
    if run.config.selection.score_all_nodes:
        for node in journal.nodes():
            if node.is_good and node.test_score is None:
                journal.update(node.id, test_score=_score_test(run, node))
    if final is not None:
        _copy_best(run, final)
    result = build_result(run, final)
    temporary = run.folder.result.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    os.replace(temporary, run.folder.result)
    journal.set_meta(
        status="complete", final_node=None if final is None else final.id, finished_at=time.time()
    )
    run.observer.on_end(run, result)
    return result


def _copy_best(run: Run, node: Node) -> None:
    best = run.folder.best
    best.mkdir(exist_ok=True)
    (best / "solution.py").write_text(node.code)
    submission = run.folder.node_dir(node.id) / SUBMISSION_FILE
    if submission.is_file():
        shutil.copy2(submission, best / SUBMISSION_FILE)


def build_result(run: Run, final: Node | None) -> dict[str, Any]:
    """The run's summary, read by `airlab rank` and reports."""
    nodes = [n for n in run.journal.nodes() if n.status != NodeStatus.CANCELLED]
    spec = run.task.spec
    drafts = [n for n in nodes if n.operator == "draft"]
    good = [n for n in nodes if n.is_good]
    first_draft = next((n for n in drafts if n.is_good), None)
    tree = run.search_tree()
    best_search = tree.best()
    return {
        "run_id": run.folder.root.name,
        "agent": run.config.agent_label,
        "task": spec.name,
        "seed": run.config.seed,
        "policy": run.config.policy,
        "operators": run.config.operators,
        "backend": run.config.backend,
        "metric": spec.metric,
        "direction": spec.direction,
        "status": "complete",
        "stop_reason": run.stop_reason or run.journal.get_meta("stop_reason"),
        "final_node": None if final is None else final.id,
        "scores": {
            "search": None if final is None else final.search_score,
            "select": None if final is None else final.select_score,
            "test": None if final is None else final.test_score,
        },
        "self_reported_score": None if final is None else final.self_reported_score,
        "valid_submission": final is not None and final.test_score is not None,
        "best_search_score": None if best_search is None else best_search.search_score,
        "first_draft_search_score": None if first_draft is None else first_draft.search_score,
        "baseline": spec.baseline.score if spec.baseline else None,
        "reference": spec.reference.score if spec.reference else None,
        "optimal": (
            run.grader.metric.best_value if spec.optimal_score is None else spec.optimal_score
        ),
        "worst": spec.worst_score,
        "leaderboard": run.task.leaderboard_scores(),
        "nodes": len(nodes),
        "good_nodes": len(good),
        "buggy_nodes": sum(1 for n in nodes if n.status == NodeStatus.BUGGY),
        "lost_nodes": sum(1 for n in nodes if n.status == NodeStatus.LOST),
        "elapsed_s": round(run.elapsed_s, 3),
        "tokens_in": sum(n.tokens_in for n in nodes),
        "tokens_out": sum(n.tokens_out for n in nodes),
        "cost_usd": round(sum(n.cost_usd for n in nodes), 6),
        "llm_calls": sum(int(n.meta.get("llm_calls", 0)) for n in nodes),
        "draft_families": [n.meta.get("family", "unknown") for n in drafts],
        "workers": run.config.workers,
        "sandbox": run.sandbox.describe(),
        "airlab_version": airlab.__version__,
    }
