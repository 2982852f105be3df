"""`airlab view`, `report` and `export` as a user meets them, including one-line errors.

The commands run in-process through the console entry point (a subprocess per command would cost
seconds of start-up each); `tests/cli` covers the entry point itself.
"""

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
