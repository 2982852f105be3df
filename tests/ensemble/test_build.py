"""`airlab ensemble RUN_DIR` on a run folder of planted nodes: a new node with the experts as
parents, a script that rebuilds its submission, and a comparison on select."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from airlab.cli import app
from airlab.ensemble.build import OPERATOR, REPORT_FILE, baselines, build_ensemble
from airlab.ensemble.soce import EnsembleError
from airlab.journal import Journal, NodeStatus
from airlab.runner.layout import RunFolder
from airlab.sandbox.base import SUBMISSION_FILE


def _run_folder(root, task_root, grader, candidates, status="complete"):
    folder = RunFolder(root)
    meta = {"task_root": str(task_root), "status": status}
    with Journal.create(folder.journal, meta=meta) as journal:
        ids = {}
        for key, frame in candidates.items():
            node = journal.add("draft")
            submission = frame.rename_axis("id").reset_index()
            folder.node_dir(node.id).mkdir(parents=True)
            submission.to_csv(folder.node_dir(node.id) / SUBMISSION_FILE, index=False)
            scores = grader.grade(submission, ("search", "select")).scores
            journal.update(
                node.id,
                status=NodeStatus.GOOD,
                search_score=scores["search"],
                select_score=scores["select"],
            )
            ids[key] = node.id
        journal.add("draft")  # a buggy node without a submission is left out
    return folder, ids


def test_ensemble_node_is_recorded_and_reproducible(tmp_path, task_root, grader, candidates):
    folder, ids = _run_folder(tmp_path / "run", task_root, grader, candidates)
    report = build_ensemble(folder.root)
    assert set(report.experts) == {ids["e1"], ids["e2"], ids["e3"]}
    assert report.best_single == ids["e1"] and report.candidates == len(candidates)
    assert report.beats_baselines
    assert report.select < report.uniform_select and report.select < report.best_single_select
    with Journal.open(folder.journal) as journal:
        node = journal.get(report.node)
    assert node.operator == OPERATOR and node.status == NodeStatus.GOOD
    assert set(node.parent_ids) == set(report.experts)
    assert node.select_score == report.select and node.test_score is None
    # the node's code rebuilds its submission from the parents' files
    subprocess.run([sys.executable, "-c", node.code], cwd=folder.root, check=True)
    rebuilt = pd.read_csv(folder.root / SUBMISSION_FILE, dtype={"id": str})
    recorded = pd.read_csv(folder.node_dir(node.id) / SUBMISSION_FILE, dtype={"id": str})
    pd.testing.assert_frame_equal(rebuilt, recorded)
    assert json.loads((folder.root / REPORT_FILE).read_text())["node"] == node.id
    # the command line: a second ensemble leaves the first one out of its candidates
    result = CliRunner().invoke(app, ["ensemble", str(folder.root)])
    assert result.exit_code == 0, result.output
    assert f"of {len(candidates)} valid nodes" in result.output


def test_baselines_pick_by_search_and_grade_on_select(grader, candidates):
    """The best single node is chosen by search score alone (a tie goes to the earlier node, a
    node without a search score never wins, even where 0 would be the best rmse), and both
    baselines are graded on select from the predictions themselves."""
    from airlab.journal import Node

    def node(id_, search):
        return Node(id=id_, operator="draft", status=NodeStatus.GOOD, search_score=search)

    predictions = {"1": candidates["gen"], "2": candidates["e2"], "3": candidates["e1"]}
    nodes = [node(1, None), node(2, 0.5), node(3, 0.5)]
    picked = baselines(grader, nodes, predictions)
    assert picked.best_single == 2
    one = candidates["e2"].rename_axis("id").reset_index()
    assert picked.best_single_select == grader.grade(one, ("select",)).scores["select"]
    assert picked.uniform_select is not None and picked.uniform_select != picked.best_single_select
    with pytest.raises(EnsembleError, match="no valid node has a search score"):
        baselines(grader, [node(1, None)], {"1": candidates["gen"]})


def test_too_few_valid_nodes_is_one_error(tmp_path, task_root, grader, candidates):
    folder, _ = _run_folder(tmp_path / "run", task_root, grader, {"e1": candidates["e1"]})
    with pytest.raises(EnsembleError, match="two valid candidates, got 1"):
        build_ensemble(folder.root)


def _airlab(*args):
    return subprocess.run([sys.executable, "-m", "airlab", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ensemble", "{tmp}/no-such-run"], "no journal here"),
        (["run", "--task", "digits", "--runtime-weight", "0.5"], "--runtime-weight"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, fragment):
    result = _airlab(*(arg.format(tmp=tmp_path) for arg in args))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert fragment in lines[0] and "Traceback" not in result.stderr


def test_an_unfinished_run_is_refused(tmp_path, task_root, grader, candidates):
    folder, _ = _run_folder(tmp_path / "run", task_root, grader, candidates, status="running")
    with pytest.raises(EnsembleError, match="running, not complete"):
        build_ensemble(folder.root)


def test_the_ensembles_benchmark_scores_soce_and_both_baselines_on_select(
    tmp_path, task_root, grader, candidates
):
    """`benchmarks/ensembles.py` over a folder of runs: the planted experts' soup beats the best
    single node and the uniform soup on select in each run, a run with one valid node or one
    still running is left out, and nothing is recorded in the runs."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import ensembles

    runs = tmp_path / "runs"
    for name in ("a", "b"):
        _run_folder(runs / name, task_root, grader, candidates)
    _run_folder(runs / "one", task_root, grader, {"e1": candidates["e1"]})
    _run_folder(runs / "running", task_root, grader, candidates, status="running")
    before = {p: p.stat().st_mtime_ns for p in runs.rglob("journal.sqlite")}
    ensembles.main([str(runs), "--thresholds", "0.5", "--out", str(tmp_path / "out")])
    text = (tmp_path / "out" / "ensembles.md").read_text()
    assert "2 runs on 1 tasks" in text
    assert "| t=0.5 | 2 / 0 / 0 | 0.500 | 2 / 0 / 0 | 0.500 | 2/2 | 3.0 |" in text, text
    rows = json.loads((tmp_path / "out" / "results.json").read_text())
    assert all(row["SoCE t=0.5"] > row["best single"] for row in rows)  # higher is better
    assert {p: p.stat().st_mtime_ns for p in runs.rglob("journal.sqlite")} == before
