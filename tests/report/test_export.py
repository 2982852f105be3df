"""Exports: JSONL records that stand alone for training; a run logged to an MLflow file store."""

import json

import pytest

from airlab.report import load_run
from airlab.report.export import export_mlflow, node_records, write_jsonl


@pytest.fixture(scope="module")
def records(synthetic_run):
    return {record["node_id"]: record for record in node_records(load_run(synthetic_run))}


def test_one_record_per_finished_node(records):
    assert sorted(records) == [0, 1, 2, 3, 4, 5]  # node 6 is still running


def test_records_carry_their_parents_and_ancestry(records):
    crossover = records[5]
    assert crossover["parent_ids"] == [2, 3]
    assert [p["id"] for p in crossover["parents"]] == [2, 3]
    assert "# tuned" in crossover["parents"][0]["code"]
    assert [a["id"] for a in crossover["ancestry"]] == [0, 2]
    assert records[3]["parents"][0]["error"] == "ValueError: boom"
    assert records[2]["improved_on_parent"] is True
    assert records[4]["improved_on_parent"] is False
    assert records[0]["ancestry"] == [] and records[0]["improved_on_parent"] is None


def test_hidden_scores_leave_only_with_the_final_node(records):
    assert records[2]["is_final"] and records[2]["test_score"] == 0.87
    assert records[4]["select_score"] is None


def test_jsonl_file_round_trips(synthetic_run, tmp_path):
    out = tmp_path / "nodes.jsonl"
    assert write_jsonl(load_run(synthetic_run), out) == 6
    lines = out.read_text().splitlines()
    assert [json.loads(line)["node_id"] for line in lines] == [0, 1, 2, 3, 4, 5]


@pytest.mark.slow
def test_mlflow_file_store_gets_params_metrics_and_artifacts(synthetic_run, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    uri = (tmp_path / "mlruns").as_uri()
    run_id = export_mlflow(load_run(synthetic_run), uri)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    logged = client.get_run(run_id)
    assert logged.data.params["policy"] == "greedy"
    assert logged.data.metrics["final_test_score"] == 0.87
    history = client.get_metric_history(run_id, "best_search_score")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == [
        0.8,
        0.8,
        0.9,
        0.9,
        0.9,
        0.9,
    ]
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"nodes.jsonl", "view.html", "result.json"} <= artifacts
    assert logged.info.run_name == "run-synthetic"
