"""`airlab evolve` from the command line: one-line errors, and a real (small) archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airlab.cli import app
from airlab.evolve import Archive, MemberState


def test_resuming_nothing_and_a_new_archive_without_tasks_are_one_line_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["evolve", "resume", str(tmp_path / "none")])
    assert result.exit_code != 0 and "no evolve archive to resume" in str(result.exception)
    result = runner.invoke(app, ["evolve", "--agent", "greedy", str(tmp_path / "x")])
    assert "needs --agent and --tasks" in str(result.exception)


def test_options_become_the_archive_settings(tmp_path, monkeypatch):
    import airlab.evolve

    seen = []

    def capture(folder, settings, **kwargs):
        seen.append(settings)
        raise airlab.evolve.loop.AirlabError("stop here")

    monkeypatch.setattr(airlab.evolve, "evolve", capture)
    args = [
        "evolve",
        "-a",
        "greedy-hyper",
        "-t",
        "a, b",
        "--holdout-tasks",
        "h",
        "--stage-tasks",
        "1",
        "--stage-threshold",
        "0.3",
        "--stage-rule",
        "parent",
        "--no-self-modify",
        "--no-smoke",
        "-B",
        "timeout_s=20",
        str(tmp_path / "e"),
    ]
    CliRunner().invoke(app, args)
    CliRunner().invoke(app, [*args[:-1], "--allow-model-edits", args[-1]])
    settings, allowing = seen
    assert (settings.allow_model_edits, allowing.allow_model_edits) == (False, True)
    assert (settings.tasks, settings.holdout_tasks, settings.stage_tasks) == (["a", "b"], ["h"], 1)
    assert (settings.stage_threshold, settings.self_modify, settings.smoke) == (0.3, False, False)
    assert settings.stage_rule == "parent"
    assert settings.meta_backend_options == {"timeout_s": 20}
    result = CliRunner().invoke(app, [*args[:-1], "--generations", "0", args[-1]])
    assert "option --generations: Input should be greater than or equal to 1" in str(
        result.exception
    )


@pytest.mark.slow
def test_evolve_offline_on_two_tiny_tasks_through_real_sweeps(make_task, tmp_path):
    tasks = f"{make_task('alpha')},{make_task('beta', kind='regression')}"
    out = tmp_path / "evo"
    args = [
        "evolve",
        "--agent",
        "greedy",
        "--tasks",
        tasks,
        "--generations",
        "1",
        "--children",
        "1",
        "--steps",
        "1",
        "--self-modify",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with Archive.open(out) as archive:
        members = archive.members()
    assert [m.generation for m in members] == [0, 1]
    seed, child = members
    assert seed.state == MemberState.EVALUATED
    assert {Path(r.task).name for r in seed.results} == {"alpha", "beta"}
    assert all(r.score is not None and (out / "evals" / "0000").is_dir() for r in seed.results)
    assert (out / "agents" / "0001" / "meta" / "meta.yaml").is_file()  # greedy got a meta/
    assert '"id":1,' in (out / "archive.html").read_text()  # the tree, rewritten by each run
    if child.valid:
        assert (out / "evals" / "0001" / "smoke").is_dir()
        assert json.loads((out / "ranking.json").read_text())["methods"].keys() == {
            "sco",
            "schulze",
        }
    again = CliRunner().invoke(app, ["evolve", str(out)])  # complete: nothing more to do
    assert again.exit_code == 0 and "gen 1 · member 1 (parent 0)" in again.output
    with Archive.open(out) as archive:
        assert [m.content_hash for m in archive.members()] == [m.content_hash for m in members]
