"""`airlab view`, `report` and `export` as a user meets them, including one-line errors.

The commands run in-process through the console entry point (a subprocess per command would cost
seconds of start-up each); `tests/cli` covers the entry point itself.
"""

import json
import sys

import pytest

from airlab.cli import main


def airlab(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["airlab", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_view_report_and_export(synthetic_run, tmp_path, monkeypatch, capsys):
    code, out, err = airlab(
        monkeypatch, capsys, "view", synthetic_run, "--out", tmp_path / "v.html"
    )
    assert code == 0, err
    assert (tmp_path / "v.html").stat().st_size > 10_000

    code, out, err = airlab(monkeypatch, capsys, "report", synthetic_run, "--out", tmp_path / "r")
    assert code == 0, err
    assert "summary.md" in out
    assert (tmp_path / "r" / "summary.md").is_file()
    assert (tmp_path / "r" / "views" / "run-synthetic.html").is_file()
    assert (tmp_path / "r" / "plots" / "best_vs_time.png").is_file()

    jsonl = tmp_path / "n.jsonl"
    code, out, err = airlab(monkeypatch, capsys, "export", synthetic_run, "--out", jsonl)
    assert code == 0, err
    assert "wrote 6 node record(s)" in out
    assert len(jsonl.read_text().splitlines()) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("view", "{tmp}/nope"), "no such run folder"),
        (("report", "{tmp}", "--out", "{tmp}/r"), "no run folder here or below"),
        (("export", "{tmp}", "--to", "csv"), "option --to: unknown 'csv'"),
    ],
)
def test_errors_are_one_line(args, message, tmp_path, monkeypatch, capsys):
    code, _, err = airlab(monkeypatch, capsys, *(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_plot_format_is_named(synthetic_run, tmp_path, monkeypatch, capsys):
    code, _, err = airlab(
        monkeypatch, capsys, "report", synthetic_run, "--out", tmp_path, "--format", "gif"
    )
    assert code == 2
    assert "option --format: unknown 'gif'" in err


def test_report_ranks_agents_when_runs_compare_them(tmp_path, make_synthetic_run):
    """Runs of two agents on two tasks: the report adds the cross-agent ranking and diversity."""
    from airlab.report.bundle import write_report

    runs = []
    for task, scores in (("t1", {"a": 0.9, "b": 0.7}), ("t2", {"a": 0.8, "b": 0.6})):
        for agent, score in scores.items():
            root = make_synthetic_run(tmp_path / f"{task}-{agent}")
            result = {
                "run_id": root.name,
                "agent": agent,
                "task": task,
                "seed": 0,
                "direction": "maximize",
                "scores": {"search": score, "select": score, "test": score},
                "valid_submission": True,
                "draft_families": ["linear", "gbdt"] if agent == "a" else ["linear"],
            }
            (root / "result.json").write_text(json.dumps(result))
            runs.append(root)
    files = write_report(runs, tmp_path / "report")
    names = {path.name for path in files.evaluation}
    assert {"ranking.csv", "ranking.png", "diversity.png"} <= names
    ranking = json.loads((tmp_path / "report" / "evaluation" / "ranking.json").read_text())
    assert "a" in json.dumps(ranking) and "b" in json.dumps(ranking)
    assert "evaluation/ranking.png" in (tmp_path / "report" / "summary.md").read_text()
    # one agent alone: nothing to compare
    assert write_report(runs[:1], tmp_path / "single").evaluation == []
