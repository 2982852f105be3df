"""Budgets from the command line: the limit the user names is the one that binds."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from airlab.backends import Candidate
from airlab.cli import app, run_commands
from airlab.runner import Written
from airlab.runner.config import DEFAULT_STEPS


def _created_run(monkeypatch, tmp_path, *args):
    """`airlab run ARGS` up to the created run, which is returned instead of executed."""
    created = []
    monkeypatch.setattr(run_commands, "_execute", created.append)
    result = CliRunner().invoke(
        app, ["run", *args, "--runs-dir", str(tmp_path / "runs")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return created[0]


def _steps_taken(run, most: int) -> int:
    """A short fake run: every proposed step is told back as written without code (buggy, and a
    step all the same), with no execution; stops when the search refuses a step or at `most`."""
    search = run.search
    for taken in range(most):
        proposal = search.ask()
        if proposal is None:
            return taken
        search.tell_written(Written(proposal.node.id, Candidate("a plan", ""), 0.0))
    return most


@pytest.mark.parametrize(
    "budget", [["--time", "1h"], ["--tokens", "100000"], ["--cost", "5"]], ids=str
)
def test_another_budget_alone_leaves_the_steps_unbounded(make_task, monkeypatch, tmp_path, budget):
    run = _created_run(monkeypatch, tmp_path, "--task", str(make_task()), *budget)
    assert run.config.budget.steps is None
    assert _steps_taken(run, DEFAULT_STEPS + 5) == DEFAULT_STEPS + 5
    assert run.search.budget_reason() is None


def test_no_budget_at_all_keeps_the_default_steps(make_task, monkeypatch, tmp_path):
    run = _created_run(monkeypatch, tmp_path, "--task", str(make_task()))
    assert _steps_taken(run, DEFAULT_STEPS + 5) == DEFAULT_STEPS
    assert run.search.budget_reason() == f"step budget reached ({DEFAULT_STEPS})"


def test_steps_beside_another_budget_still_bind(make_task, monkeypatch, tmp_path):
    run = _created_run(
        monkeypatch, tmp_path, "--task", str(make_task()), "--time", "1h", "--steps", "3"
    )
    assert _steps_taken(run, 10) == 3


def test_a_config_file_budget_in_time_alone_is_not_capped(make_task, monkeypatch, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("budget: {time_s: 3600}\n")
    run = _created_run(monkeypatch, tmp_path, "--task", str(make_task()), "--config", str(config))
    assert run.config.budget.steps is None


def test_help_says_when_the_steps_default_applies():
    text = CliRunner().invoke(app, ["run", "--help"], terminal_width=200).output
    assert "unbounded when --time, --tokens or --cost" in " ".join(text.split())


LOCAL = "openai-compatible/my-local-model@http://127.0.0.1:9/v1"


def _header_text(run) -> str:
    from rich.console import Console

    from airlab.cli.display import header

    console = Console(record=True, width=300)
    console.print(header(run))
    return " ".join(console.export_text().split())


def test_the_header_warns_of_an_unpriced_model(make_task, monkeypatch, tmp_path):
    run = _created_run(monkeypatch, tmp_path, "--task", str(make_task()), "-b", LOCAL)
    text = _header_text(run)
    assert "warning: model 'my-local-model' has no price in the table" in text


def test_the_header_does_not_warn_of_a_priced_model(make_task, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    run = _created_run(monkeypatch, tmp_path, "--task", str(make_task()), "-b", "openai/o3-pro")
    assert "no price" not in _header_text(run)


def test_a_cost_budget_over_an_unpriced_model_is_refused_before_any_call(make_task, tmp_path):
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--task",
            str(make_task()),
            "-b",
            LOCAL,
            "--cost",
            "1",
            "--runs-dir",
            str(tmp_path),
        ],
    )
    assert "--cost 1: model 'my-local-model' has no price in the table" in str(result.exception)
    assert not runs.exists()


def test_a_cost_budget_over_a_model_priced_by_the_user_runs(make_task, monkeypatch, tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("my-local-model: {input: 0.1, output: 0.2, source: our own server}\n")
    run = _created_run(
        monkeypatch,
        tmp_path,
        *["--task", str(make_task()), "-b", LOCAL, "--cost", "1", "-B", f"prices={prices}"],
    )
    assert run.config.budget.cost_usd == 1 and "no price" not in _header_text(run)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--steps", "0"], "--steps"),
        (["--workers", "0"], "--workers"),
        (["--top-k", "0"], "--top-k"),
    ],
)
def test_an_error_names_the_option_the_user_typed(make_task, tmp_path, args, flag):
    result = CliRunner().invoke(app, ["run", "--task", str(make_task()), *args])
    assert str(result.exception).startswith(f"option {flag}: "), result.exception


def test_an_error_in_a_config_file_names_its_field(make_task, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("budget: {steps: 0}\n")
    result = CliRunner().invoke(app, ["run", "--task", str(make_task()), "--config", str(config)])
    assert "run.yaml: field 'budget.steps'" in str(result.exception)
