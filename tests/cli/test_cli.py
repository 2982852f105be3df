"""The CLI as a user meets it: help, listings, and one-line errors without tracebacks."""

import json
import subprocess
import sys

import pytest
import yaml


def airlab(*args, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def test_run_help_is_complete():
    result = airlab("run", "--help")
    assert result.returncode == 0
    for option in (
        "--task",
        "--policy",
        "--backend",
        "--steps",
        "--time",
        "--workers",
        "--seed",
        "--operators",
        "--param",
        "--backend-option",
        "--operator-option",
        "--tokens",
        "--cost",
        "--time-limit",
        "--memory-limit",
        "--sandbox",
        "--pool",
        "--fitness",
        "--runtime-weight",
        "--top-k",
        "--ensemble",
        "--score-all-nodes",
        "--runs-dir",
        "--name",
        "--agent",
        "--label",
        "--config",
    ):
        assert option in result.stdout, option


def test_tasks_lists_bundled_tasks_with_baselines():
    result = airlab("tasks")
    assert result.returncode == 0
    for text in (
        "digits",
        "breast-cancer",
        "diabetes",
        "co2",
        "osuleaf",
        "accuracy",
        "log_loss",
        "rmse",
        "mase ↓",
        "accuracy ↑",
        "0.9700",
        "64.5763",
        "55.8570",
    ):
        assert text in result.stdout, text


def _assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_broken_task_yaml_is_one_line(make_task, tmp_path):
    root = make_task()
    data = yaml.safe_load((root / "task.yaml").read_text())
    data["direction"] = "sideways"
    (root / "task.yaml").write_text(yaml.safe_dump(data))
    result = airlab("run", "--task", str(root), "--runs-dir", str(tmp_path / "runs"))
    _assert_one_line_error(result, "task.yaml", "direction", "sideways")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--policy", "gredy"], "did you mean 'greedy'"),
        (["--backend", "templatez"], "did you mean 'templates'"),
        (["-P", "num_draft=2"], "unknown parameter 'num_draft'"),
        (["-P", "oops"], "expected KEY=VALUE"),
        (["--time", "soon"], "expected a duration"),
        (["--sandbox", "docker"], "unknown sandbox 'docker'"),
        (["--operators", "everything"], "unknown operator set 'everything'"),
        (["-O", "mode=reactt"], "operator option 'mode'"),
        (["-O", "memroy=false"], "unknown operator option 'memroy'; did you mean 'memory'?"),
        (["-P", "num_draft=2"], "did you mean 'num_drafts'?"),
        (["-B", "bugrate=0.1"], "backend 'templates': unknown option 'bugrate'; did you mean"),
        (["-B", "bug_rate=high"], "option 'bug_rate': Input should be a valid number"),
        (["--backend", "openai-compatible/qwen"], "expected MODEL@URL"),
        (["-b", "anthropic/claude-haiku-4-5", "-B", "api_key_env=NO_KEY_HERE"], "set NO_KEY_HERE"),
    ],
)
def test_bad_options_are_one_line(args, fragment, tmp_path):
    result = airlab("run", "--task", "digits", "--runs-dir", str(tmp_path / "runs"), *args)
    _assert_one_line_error(result, fragment)


def test_bad_config_file_is_one_line(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("budget: {steps: 0}\n")
    result = airlab("run", "--task", "digits", "--config", str(config))
    _assert_one_line_error(result, "run.yaml", "budget.steps")


def test_resume_of_a_missing_run_is_one_line(tmp_path):
    _assert_one_line_error(airlab("resume", str(tmp_path / "nothing")), "no journal here")


@pytest.mark.slow
def test_run_from_the_command_line(make_task, tmp_path):
    result = airlab(
        "run",
        "--task",
        str(make_task()),
        "--steps",
        "3",
        "--workers",
        "2",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--name",
        "cli",
        "-P",
        "num_drafts=2",
    )
    assert result.returncode == 0, result.stderr
    assert "test score" in result.stdout and "final node" in result.stdout
    summary = json.loads((tmp_path / "runs" / "cli" / "result.json").read_text())
    assert summary["nodes"] == 3
    again = airlab("resume", str(tmp_path / "runs" / "cli"))
    assert again.returncode == 0 and "already complete" in again.stdout


def test_error_text_is_printed_verbatim(monkeypatch, capsys):
    """Square brackets in a message (an extra to install) are text, not rich markup."""
    import airlab.cli as cli
    from airlab.errors import TaskError

    def failing_app():
        raise TaskError("needs statsmodels: pip install 'airlab[tasks]'")

    monkeypatch.setattr(cli, "app", failing_app)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    assert "pip install 'airlab[tasks]'" in capsys.readouterr().err
