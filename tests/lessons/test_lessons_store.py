"""The lessons store: rows round-trip, a run's lessons replace its earlier ones, a newer schema
and a file that is not SQLite are refused in one line, and processes writing at once lose
nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from airlab.lessons.keys import TaskKeys
from airlab.lessons.store import SCHEMA_VERSION, Lesson, LessonsError, LessonStore

KEYS = TaskKeys(
    task_type="classification", metric="accuracy", rows="rows<1k", cols="cols<10", target="binary"
)


def lesson(text: str, run: str = "run-a", task: str = "tiny") -> Lesson:
    return Lesson(
        text=text,
        author="templates",
        kind="families",
        keys=KEYS,
        families=["gbdt", "linear"],
        evidence={"gbdt": 0.9},
        source_run=run,
        source_task=task,
        source_nodes=[0, 2],
    )


def test_rows_round_trip_with_their_ids(tmp_path: Path) -> None:
    store = LessonStore(tmp_path / "sub" / "lessons.db")
    ids = store.replace_run("run-a", [lesson("first"), lesson("second")])
    got = store.all()
    assert [row.id for row in got] == ids
    assert [row.text for row in got] == ["first", "second"]
    assert got[0].keys == KEYS and got[0].families == ["gbdt", "linear"]
    assert store.get(ids[1]) == got[1]
    assert store.get(999) is None


def test_a_run_replaces_its_own_lessons_only(tmp_path: Path) -> None:
    store = LessonStore(tmp_path / "lessons.db")
    store.replace_run("run-a", [lesson("a1"), lesson("a2")])
    store.replace_run("run-b", [lesson("b1", run="run-b")])
    store.replace_run("run-a", [lesson("a3")])
    assert sorted(row.text for row in store.all()) == ["a3", "b1"]
    assert {row.source_run for row in store.all()} == {"run-a", "run-b"}


def test_delete_by_id(tmp_path: Path) -> None:
    store = LessonStore(tmp_path / "lessons.db")
    ids = store.replace_run("run-a", [lesson("a1"), lesson("a2"), lesson("a3")])
    assert store.delete([ids[0], ids[2]]) == 2
    assert [row.text for row in store.all()] == ["a2"]


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "lessons.db"
    LessonStore(path)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE store_meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    with pytest.raises(LessonsError, match="newer than this airlab reads") as info:
        LessonStore(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_file_that_is_not_sqlite_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "lessons.db"
    path.write_text("not a database, just text " * 100)
    with pytest.raises(LessonsError) as info:
        LessonStore(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def _write_many(path: str, run: str, count: int) -> None:
    store = LessonStore(Path(path))
    for i in range(count):
        store.replace_run(f"{run}-{i}", [lesson(f"{run} lesson {i}", run=f"{run}-{i}")])


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lessons.db"
    LessonStore(path)
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_many, args=(str(path), f"w{k}", 15)) for k in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    rows = LessonStore(path).all()
    assert len(rows) == 45
    assert len({row.source_run for row in rows}) == 45
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_task_keys_come_from_the_public_table(make_task) -> None:
    from airlab.lessons.keys import task_keys
    from airlab.tasks import load_task

    classification = task_keys(load_task(make_task("c", rows=3000)))
    assert classification.model_dump() == {
        "task_type": "classification",
        "metric": "accuracy",
        "rows": "rows1k-10k",
        "cols": "cols<10",
        "target": "binary",
    }
    regression = task_keys(load_task(make_task("r", kind="regression")))
    assert (regression.task_type, regression.metric, regression.rows, regression.target) == (
        "regression",
        "rmse",
        "rows<1k",
        "continuous",
    )
