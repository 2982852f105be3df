"""`airlab rank` through typer's CliRunner, on a tiny app that registers the command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from airlab.cli.rank import METHOD_HELP, rank
from airlab.evaluation.ranking.kemeny import DEFAULT_MAX_AGENTS
from airlab.evaluation.reporting import write_evaluation_report

app = typer.Typer()
app.command("rank")(rank)


@app.command("version")
def _version() -> None:  # a second command, so `rank` stays a subcommand as in airlab's app
    """Print nothing."""


runner = CliRunner()


@pytest.fixture
def runs_dir(write_run, tmp_path: Path) -> Path:
    scores = {"strong/x": 0.9, "mid/x": 0.8, "weak/x": 0.6}
    for t, task in enumerate(["t1", "t2", "t3"]):
        for agent, base in scores.items():
            for seed in range(2):
                write_run(agent, task, seed, base + 0.01 * seed - 0.02 * t)
    write_run("weak/x", "t4", 0, None)  # an invalid run on a task the others never ran
    write_run("strong/x", "t4", 0, 0.5)
    return tmp_path / "runs"


def test_rank_prints_table_and_writes_files(runs_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["rank", str(runs_dir), "--method", "sco,elo,borda", "-b", "50", "--out", str(out)],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    assert "strong/x" in result.output and "95% CI" in result.output
    assert "20 runs, 1 without a valid submission" in " ".join(result.output.split())
    frame = pd.read_csv(out / "ranking.csv")
    assert set(frame["method"]) == {"sco", "elo", "borda"}
    first = frame.groupby("method").first()
    assert (first["agent"] == "strong/x").all()
    data = json.loads((out / "ranking.json").read_text())
    assert data["tasks"] == ["t1", "t2", "t3", "t4"]
    assert data["invalid_runs"] == 1
    assert data["methods"]["sco"][0]["agent"] == "strong/x"
    assert data["methods"]["sco"][0]["tasks"] == 4


def test_rank_all_methods_with_split_and_invalid_options(runs_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["rank", str(runs_dir), "-m", "all", "-b", "20", "--split", "select", "--invalid", "drop"],
        env={"COLUMNS": "140"},
    )
    assert result.exit_code == 0, result.output
    for name in (
        "borda",
        "copeland",
        "elo",
        "iterated_lottery",
        "kemeny",
        "lottery",
        "nash",
        "ranked_pairs",
        "schulze",
        "sco",
    ):
        assert name in result.output
    assert "sco_fy" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "scoo"], "did you mean 'sco'"),
        (["--split", "train"], "--split must be"),
        (["--invalid", "zero"], "--invalid must be"),
    ],
)
def test_user_errors_are_one_line(runs_dir: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["rank", str(runs_dir), *args])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.output


def test_missing_path_and_bad_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rank", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such file or folder" in result.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "result.json").write_text("{")
    result = runner.invoke(app, ["rank", str(bad)])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_help_documents_every_option() -> None:
    result = runner.invoke(app, ["rank", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--method", "--split", "--out", "--bootstrap", "--seed", "--invalid", "--level"):
        assert option in result.output
    assert f"above {DEFAULT_MAX_AGENTS} agents" in METHOD_HELP


def test_write_evaluation_report(runs_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = write_evaluation_report(
        [runs_dir], tmp_path / "report", methods="borda,elo", bootstrap=10
    )
    names = {p.name for p in written}
    assert {
        "runs.csv",
        "agents.csv",
        "ranking.csv",
        "ranking.json",
        "ranking.png",
        "diversity.png",
        "diversity_runs.csv",
    } <= names
    assert all(p.exists() for p in written)


def test_one_agent_is_not_ranked_but_its_scores_are_shown(write_run, tmp_path: Path) -> None:
    for task, score in (("t1", 0.9), ("t2", 0.7)):
        for seed in range(2):
            write_run("only/x", task, seed, score + 0.02 * seed)
    write_run("only/x", "t3", 0, None)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["rank", str(tmp_path / "runs"), "--out", str(out)], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "one agent (only/x) cannot be ranked" in text
    assert "t1" in text and "0.910" in text and "0.700" in text and "0.720" in text
    assert "method" not in text and "95% CI" not in text  # no ranking tables
    assert not out.exists()


def test_one_agent_with_a_bad_method_is_still_an_error(write_run, tmp_path: Path) -> None:
    write_run("only/x", "t1", 0, 0.5)
    result = runner.invoke(app, ["rank", str(tmp_path / "runs"), "--method", "bordo"])
    assert result.exit_code == 2 and "bordo" in result.output
