"""`airlab lessons list|show|prune` and the `--lessons` options as a user meets them: listings,
one-line errors, nothing removed without a filter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from airlab.lessons.keys import TaskKeys
from airlab.lessons.store import Lesson, LessonStore

pytestmark = pytest.mark.slow  # a CLI process per call

KEYS = TaskKeys(
    task_type="regression", metric="rmse", rows="rows<1k", cols="cols<10", target="continuous"
)


def airlab(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def store(tmp_path: Path) -> Path:
    path = tmp_path / "lessons.db"
    rows = LessonStore(path)
    for task in ("alpha", "beta"):
        lesson = Lesson(
            text=f"gbdt was best on {task}",
            author="templates",
            kind="families",
            keys=KEYS,
            families=["gbdt"],
            source_run=f"run-{task}",
            source_task=task,
        )
        rows.replace_run(f"run-{task}", [lesson])
    return path


def test_list_show_and_prune(tmp_path: Path) -> None:
    path = store(tmp_path)
    listed = airlab("lessons", "list", str(path))
    assert listed.returncode == 0
    assert "gbdt was best on alpha" in listed.stdout and "2 lesson(s)" in listed.stdout
    shown = airlab("lessons", "show", str(path), "1")
    assert json.loads(shown.stdout)["source_task"] == "alpha"
    refused = airlab("lessons", "prune", str(path))
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert len(LessonStore(path).all()) == 2
    pruned = airlab("lessons", "prune", str(path), "--task", "alpha")
    assert pruned.returncode == 0 and "removed 1" in pruned.stdout
    assert [les.source_task for les in LessonStore(path).all()] == ["beta"]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    missing = airlab("lessons", "list", str(tmp_path / "nope.db"))
    assert missing.returncode == 2 and "no lessons file" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = airlab("lessons", "show", str(store(tmp_path)), "99")
    assert unknown.returncode == 2 and "no lesson 99" in unknown.stderr
    mode = airlab(
        "run", "-t", "digits", "--lessons", "x.db", "--lessons-mode", "sometimes", cwd=tmp_path
    )
    assert mode.returncode == 2 and "--lessons-mode" in mode.stderr
    assert len(mode.stderr.strip().splitlines()) == 1
    alone = airlab("run", "-t", "digits", "--lessons-mode", "read", cwd=tmp_path)
    assert alone.returncode == 2 and "--lessons PATH" in alone.stderr
