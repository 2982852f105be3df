"""Trajectories out to tools people already use: JSONL for training, MLflow for tracking.

A JSONL record is one node with everything needed to learn from it on its own: the task, the
parents' plans, code and output it started from, its own plan and code, and how it scored.
MLflow is an optional extra, imported only when asked for.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from airlab.errors import ConfigError
from airlab.journal import Node
from airlab.report.data import RunData
from airlab.report.page import render_html
from airlab.report.viewmodel import best_so_far, primary_path, transcript_messages


def _ancestor(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "operator": node.operator,
        "status": node.status.value,
        "plan": node.plan,
        "search_score": node.search_score,
    }


def _parent(node: Node) -> dict[str, Any]:
    return {
        **_ancestor(node),
        "code": node.code,
        "failure": node.failure,
        "error": node.error,
        "self_reported_score": node.self_reported_score,
        "stdout_tail": node.stdout_tail,
        "stderr_tail": node.stderr_tail,
    }


def node_records(run: RunData) -> list[dict[str, Any]]:
    """One training record per finished node, with its direct parents and its chain of ancestors.

    Hidden `select`/`test` scores are included only for the final node (as in the view), so a
    dataset built from many runs does not leak the splits used to judge them.
    """
    by_id = {node.id: node for node in run.searched}
    records = []
    for node in run.searched:
        if not node.status.finished:
            continue
        is_final = node.id == run.final_node_id
        chain = primary_path(by_id, node.id)[:-1]
        parents = [by_id[p] for p in node.parent_ids if p in by_id]
        improved = None
        if node.is_good and parents and parents[0].is_good and parents[0].search_score is not None:
            improved = run.is_better(node.search_score, parents[0].search_score)  # type: ignore[arg-type]
        records.append(
            {
                "run": run.name,
                "task": run.task,
                "agent": run.agent,
                "metric": run.metric,
                "direction": "maximize" if run.maximize else "minimize",
                "node_id": node.id,
                "parent_ids": list(node.parent_ids),
                "operator": node.operator,
                "note": node.note,
                "plan": node.plan,
                "code": node.code,
                "status": node.status.value,
                "failure": node.failure,
                "error": node.error,
                "search_score": node.search_score,
                "self_reported_score": node.self_reported_score,
                "select_score": node.select_score if is_final else None,
                "test_score": node.test_score if is_final else None,
                "is_final": is_final,
                "improved_on_parent": improved,
                "exec_seconds": node.exec_seconds,
                "generation_seconds": node.generation_seconds,
                "tokens_in": node.tokens_in,
                "tokens_out": node.tokens_out,
                "cost_usd": node.cost_usd,
                "stdout_tail": node.stdout_tail,
                "stderr_tail": node.stderr_tail,
                "transcript": transcript_messages(node.meta.get("transcript")),
                "parents": [_parent(p) for p in parents],
                "ancestry": [_ancestor(by_id[a]) for a in chain],
            }
        )
    return records


def write_jsonl(run: RunData, out: Path) -> int:
    """Write the run's node records to `out`; return how many."""
    records = node_records(run)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)[:500]
    return flat


def export_mlflow(run: RunData, tracking_uri: str, experiment: str | None = None) -> str:
    """Log the run to MLflow as one MLflow run: config as params, the search as stepped metrics,
    final scores as metrics, and result, best code, view and trajectories as artifacts.
    Returns the MLflow run id."""
    try:
        import mlflow
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ConfigError(
            "export to mlflow needs MLflow: pip install 'airlab[mlflow]' (mlflow-skinny)"
        ) from None
    if tracking_uri.startswith("file:") or "://" not in tracking_uri:
        # MLflow 3 keeps its file store behind this documented opt-in; a file store is what
        # `--to mlflow` promises (no server, no database), so opt in unless the user decided.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment or f"airlab-{run.task}")
    with mlflow.start_run(run_name=run.name) as active:
        run_id = active.info.run_id
        mlflow.set_tags(
            {
                "airlab.task": run.task,
                "airlab.agent": run.agent,
                "airlab.run_dir": str(run.root),
                "airlab.status": run.status,
            }
        )
        mlflow.log_params(_flatten(run.config.model_dump(mode="json") if run.config else {}))
        metrics = []
        for point in best_so_far(run):
            stamp = int((run.started_at + point["seconds"]) * 1000)
            if point["score"] is not None:
                metrics.append(Metric("search_score", point["score"], stamp, point["candidates"]))
            if point["best"] is not None:
                metrics.append(
                    Metric("best_search_score", point["best"], stamp, point["candidates"])
                )
        for start in range(0, len(metrics), 500):
            MlflowClient().log_batch(run_id, metrics=metrics[start : start + 500])
        mlflow.log_metrics(_final_metrics(run))
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            write_jsonl(run, folder / "nodes.jsonl")
            (folder / "view.html").write_text(render_html(run), encoding="utf-8")
            for path in (folder / "nodes.jsonl", folder / "view.html"):
                mlflow.log_artifact(str(path))
        for extra in (run.root / "result.json", run.root / "best" / "solution.py"):
            if extra.is_file():
                mlflow.log_artifact(str(extra))
    return run_id


def _final_metrics(run: RunData) -> dict[str, float]:
    nodes = run.searched
    values: dict[str, float | None] = {
        "nodes": float(len(nodes)),
        "good_nodes": float(sum(n.is_good for n in nodes)),
        "buggy_nodes": float(sum(n.is_buggy for n in nodes)),
        "tokens_in": float(sum(n.tokens_in for n in nodes)),
        "tokens_out": float(sum(n.tokens_out for n in nodes)),
        "cost_usd": float(sum(n.cost_usd for n in nodes)),
        "elapsed_s": run.elapsed_s,
    }
    if run.final_node_id is not None:
        final = run.node(run.final_node_id)
        values.update(
            {
                "final_search_score": final.search_score,
                "final_select_score": final.select_score,
                "final_test_score": final.test_score,
                "final_self_reported_score": final.self_reported_score,
            }
        )
    return {key: float(value) for key, value in values.items() if value is not None}
