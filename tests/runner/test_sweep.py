"""Sweeps: a grid through one pool, one journal per run, resumable as a whole."""

from __future__ import annotations

import json
import shutil

import pytest
import scripted  # noqa: F401 - registers the "scripted" backend
import yaml
from typer.testing import CliRunner

from airlab.cli import app
from airlab.errors import ConfigError
from airlab.journal import Journal
from airlab.runner.sweep import Sweep, load_spec


def _spec(make_task, **fields):
    data = {
        "tasks": [str(make_task("alpha")), str(make_task("beta"))],
        "backends": ["scripted"],
        "seeds": [0, 1],
        "workers": 2,
        "base": {"budget": {"steps": 2}, "limits": {"time_s": 30}},
        **fields,
    }
    return load_spec(data, "test")


def _nodes(root):
    with Journal.open(root / "journal.sqlite") as journal:
        return journal.nodes()


@pytest.mark.slow
def test_sweep_runs_the_grid_then_finishes_only_what_is_unfinished(make_task, tmp_path):
    spec = _spec(make_task)
    sweep = Sweep.create_or_continue(tmp_path / "sw", spec)
    states = sweep.execute()
    names = sorted(states)
    assert names == [
        "alpha-greedy-scripted-s0",
        "alpha-greedy-scripted-s1",
        "beta-greedy-scripted-s0",
        "beta-greedy-scripted-s1",
    ]
    assert all(s.status == "complete" and s.steps_done == 2 for s in states.values())
    manifest = json.loads(sweep.manifest.read_text())
    assert {r["status"] for r in manifest["runs"].values()} == {"complete"}
    runs = sweep.runs_dir
    assert sorted(p.name for p in runs.iterdir()) == names

    # A killed sweep: one run never started, one stopped before its end.
    shutil.rmtree(runs / names[0])
    with Journal.open(runs / names[1] / "journal.sqlite") as journal:
        journal.set_meta(status="running")
    (runs / names[1] / "result.json").unlink()
    untouched = {name: _nodes(runs / name) for name in names[1:]}

    again = Sweep.create_or_continue(tmp_path / "sw", spec)  # the same command, run again
    states = again.execute()
    assert all(s.status == "complete" for s in states.values())
    assert len(_nodes(runs / names[0])) == 2
    assert (runs / names[1] / "result.json").is_file()
    for name, nodes in untouched.items():
        assert _nodes(runs / name) == [
            n.model_copy(update={"test_score": m.test_score})
            for n, m in zip(nodes, _nodes(runs / name), strict=True)
        ]


def test_a_run_killed_while_creating_its_journal_starts_afresh(make_task, tmp_path):
    spec = _spec(make_task, seeds=[0], tasks=[str(make_task("alpha"))])
    sweep = Sweep.create_or_continue(tmp_path / "sw", spec)
    (name,) = sweep.states
    folder = sweep.runs_dir / name
    folder.mkdir(parents=True)
    (folder / "journal.sqlite").touch()  # the file exists; its schema was never committed
    states = sweep.execute()
    assert states[name].status == "complete", states[name].error
    assert len(_nodes(folder)) == 2


def test_a_different_grid_in_the_same_folder_is_refused(make_task, tmp_path):
    Sweep.create_or_continue(tmp_path / "sw", _spec(make_task))
    with pytest.raises(ConfigError, match="a different sweep lives here"):
        Sweep.create_or_continue(tmp_path / "sw", _spec(make_task, seeds=[7]))


def test_sweep_spec_errors_name_the_field(make_task):
    with pytest.raises(ConfigError, match=r"field 'base\.task' is set by the sweep itself"):
        _spec(make_task, base={"task": "digits"})
    with pytest.raises(ConfigError, match="unknown field 'taks'"):
        load_spec({"tasks": ["digits"], "taks": ["digits"]}, "grid.yaml")
    with pytest.raises(ConfigError, match=r"grid\.yaml: field 'tasks'"):
        load_spec({"tasks": []}, "grid.yaml")


@pytest.mark.slow
def test_cli_sweep_from_yaml_then_resume(make_task, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        yaml.safe_dump(
            {
                "tasks": [str(make_task("alpha"))],
                "backends": ["scripted"],
                "seeds": [0],
                "base": {"budget": {"steps": 2}},
            }
        )
    )
    runner = CliRunner()
    args = ["sweep", "-c", str(grid), "--seeds", "0,3", "--sweeps-dir", str(tmp_path / "s")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "alpha-greedy-scripted-s3: complete, 2 steps" in first.output
    (folder,) = (tmp_path / "s").iterdir()
    again = runner.invoke(app, ["sweep", "--resume", str(folder)])
    assert again.exit_code == 0, again.output
    assert "2/2 runs complete" in again.output
