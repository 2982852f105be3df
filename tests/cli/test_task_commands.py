"""`airlab tasks show`, `airlab task check` and `airlab task score` as a user meets them."""

import subprocess
import sys

import pytest


def airlab(*args):
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args], capture_output=True, text=True, timeout=300
    )


def test_tasks_show_prints_the_card_and_description():
    result = airlab("tasks", "show", "co2")
    assert result.returncode == 0, result.stderr
    for text in ("mase (minimize)", "time column", "month", "Mauna Loa", "statsmodels"):
        assert text in result.stdout, text


def test_tasks_show_unknown_name_suggests_one():
    result = airlab("tasks", "show", "sunspot")
    assert result.returncode == 2
    assert "did you mean 'sunspots'" in result.stderr


@pytest.mark.slow
def test_task_check_and_score_on_a_folder(make_task, tmp_path):
    root = make_task()
    (root / "baseline.py").write_text(
        "import shutil\nshutil.copy('public/sample_submission.csv', 'submission.csv')\n"
    )
    result = airlab("task", "check", str(root), "--sandbox", "process")
    assert result.returncode == 2
    assert "no better than sample_submission.csv" in result.stdout
    assert "problem(s) found by task check" in result.stderr

    result = airlab("task", "score", str(root), str(root / "public" / "sample_submission.csv"))
    assert result.returncode == 0, result.stderr
    assert "search" in result.stdout and "test" in result.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("id,y\nnope,1\n")
    result = airlab("task", "score", str(root), str(bad))
    assert result.returncode == 2
    assert "invalid submission: missing ids" in result.stderr
