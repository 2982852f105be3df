"""A run whose every node fails is no success: status `no_valid_solution`, a non-zero exit, and
its most common failure in the closing line; broken data never starts a run or a sweep."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import scripted  # noqa: F401 - registers the "scripted" backend
from typer.testing import CliRunner

from airlab.cli import app
from airlab.cli.run_commands import EXIT_NO_VALID_SOLUTION
from airlab.errors import TaskError
from airlab.journal import Journal
from airlab.result import RunResult, RunStatus
from airlab.runner import Run, RunConfig
from airlab.runner.sweep import Sweep, load_spec


def _failing_task(make_task, name="tiny"):
    """The scripted backend hands in the sample submission: without one, every node fails."""
    root = make_task(name)
    (root / "public" / "sample_submission.csv").unlink()
    return root


def _config(task_root, tmp_path, steps=2):
    return RunConfig.model_validate(
        {
            "task": str(task_root),
            "backend": "scripted",
            "budget": {"steps": steps},
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 30},
        }
    )


@pytest.mark.slow
def test_a_run_without_any_valid_node_ends_no_valid_solution(make_task, tmp_path):
    run = Run.create(_config(_failing_task(make_task), tmp_path))
    result = run.execute()
    assert result.status == RunStatus.NO_VALID_SOLUTION
    assert result.final_node is None and not result.valid_submission
    assert result.failures == {"error": 2}
    assert result.most_common_failure() == ("error", 2)
    stored = RunResult.model_validate_json(run.folder.result.read_text())
    assert stored.status == RunStatus.NO_VALID_SOLUTION
    with Journal.open(run.folder.journal) as journal:
        assert journal.get_meta("status") == "no_valid_solution"
    again = Run.resume(run.folder.root)
    assert again.complete  # finished: resuming returns the stored result, runs nothing
    assert again.execute().status == RunStatus.NO_VALID_SOLUTION
    assert len(again.journal.nodes()) == 2


@pytest.mark.slow
def test_cli_exits_non_zero_and_names_the_most_common_failure(make_task, tmp_path):
    root = _failing_task(make_task)
    args = ["run", "-t", str(root), "-b", "scripted", "--steps", "2", "--name", "r"]
    result = CliRunner().invoke(app, [*args, "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == EXIT_NO_VALID_SOLUTION != 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert "no valid solution" in last and "most common failure: error (2 of 2)" in last
    again = CliRunner().invoke(app, ["resume", str(tmp_path / "runs" / "r")])
    assert again.exit_code == EXIT_NO_VALID_SOLUTION
    assert "already finished (no_valid_solution)" in again.output


@pytest.mark.slow
def test_a_sweep_reports_runs_without_a_valid_solution(make_task, tmp_path):
    spec = load_spec(
        {
            "tasks": [str(make_task("good")), str(_failing_task(make_task, "bad"))],
            "backends": ["scripted"],
            "base": {"budget": {"steps": 1}, "limits": {"time_s": 30}},
        },
        "test",
    )
    states = Sweep.create_or_continue(tmp_path / "sw", spec).execute()
    assert states["good-greedy-scripted-s0"].status == "complete"
    bad = states["bad-greedy-scripted-s0"]
    assert bad.status == "no_valid_solution" and "most common failure: error" in str(bad.error)
    manifest = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert manifest["runs"]["bad-greedy-scripted-s0"]["status"] == "no_valid_solution"
    result = CliRunner().invoke(app, ["sweep", "--resume", str(tmp_path / "sw")])
    assert result.exit_code == EXIT_NO_VALID_SOLUTION, result.output


def test_a_sweep_with_broken_data_starts_no_run(make_task, tmp_path):
    broken = make_task("broken")
    train = broken / "public" / "train.csv"
    pd.read_csv(train).drop(columns=["y"]).to_csv(train, index=False)
    spec = load_spec(
        {"tasks": [str(make_task("good")), str(broken)], "backends": ["scripted"]}, "test"
    )
    sweep = Sweep.create_or_continue(tmp_path / "sw", spec)
    with pytest.raises(TaskError, match=r"train\.csv: target column 'y' is missing"):
        sweep.execute()
    assert not sweep.runs_dir.exists()


def test_run_create_refuses_broken_data_before_any_folder_or_model_call(make_task, tmp_path):
    root = make_task()
    (root / "public" / "train.csv").write_text("id,a,b,c,y\n")
    config = _config(root, tmp_path).model_copy(update={"backend": "no-such/model-needed"})
    with pytest.raises(TaskError, match=r"train\.csv: has no rows"):
        Run.create(config)  # the data check comes before the backend is even built
    assert not (tmp_path / "runs").exists()


def test_rankings_count_a_run_without_a_valid_solution_as_an_invalid_run(tmp_path):
    """As a complete run without a final node always counted: kept, with no score."""
    from airlab.evaluation.runs import find_runs, runs_table
    from airlab.result import SplitScores

    common = {"agent": "a", "task": "t", "seed": 0, "direction": "maximize"}
    runs = {
        "ok": RunResult(run_id="ok", scores=SplitScores(test=0.9), valid_submission=True, **common),
        "none": RunResult(
            run_id="none", status=RunStatus.NO_VALID_SOLUTION, failures={"error": 3}, **common
        ),
        "down": RunResult(run_id="down", status=RunStatus.FAILED, **common),
    }
    for name, result in runs.items():
        (tmp_path / name).mkdir()
        result.write(tmp_path / name / "result.json")
    table = runs_table(find_runs([tmp_path])).set_index("run_id")
    assert sorted(table.index) == ["none", "ok"]  # a backend failure says nothing of the agent
    assert table.loc["none", "status"] == "no_valid_solution"
    assert not table.loc["none", "valid"] and table.loc["ok", "valid"]
