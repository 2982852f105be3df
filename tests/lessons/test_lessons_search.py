"""A run and its store before any step: lessons are retrieved once, when the run is created,
kept in its journal (a resumed run sees the same ones even if the store changed), given to its
operators; a store that cannot serve the run is refused before any run folder exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.errors import AirlabError
from airlab.lessons.keys import TaskKeys
from airlab.lessons.store import Lesson, LessonStore
from airlab.runner.config import RunConfig
from airlab.runner.search import Search

KEYS = TaskKeys(
    task_type="classification", metric="accuracy", rows="rows<1k", cols="cols<10", target="binary"
)


def config(task: Path, tmp_path: Path, mode: str = "both") -> RunConfig:
    return RunConfig.model_validate(
        {
            "task": str(task),
            "runs_dir": str(tmp_path / "runs"),
            "lessons": {"path": str(tmp_path / "lessons.db"), "mode": mode, "top_k": 2},
        }
    )


def plant(tmp_path: Path, *texts: str) -> None:
    store = LessonStore(tmp_path / "lessons.db")
    for i, text in enumerate(texts):
        lesson = Lesson(
            text=text,
            author="templates",
            kind="families",
            keys=KEYS,
            families=["svm"],
            source_run=f"r{i}",
            source_task="other",
        )
        store.replace_run(f"r{i}", [lesson])


def test_lessons_are_retrieved_once_and_kept_through_a_resume(make_task, tmp_path) -> None:
    plant(tmp_path, "svm was best on a binary accuracy task", "knn timed out", "mlp underfit")
    search = Search.create(config(make_task(), tmp_path))
    texts = [lesson.text for lesson in search.lessons]
    assert len(texts) == 2 and texts[0] == "svm was best on a binary accuracy task"
    proposal = search.add_step("draft")
    assert proposal.context.lessons == search.lessons
    LessonStore(tmp_path / "lessons.db").delete([1, 2, 3])
    reopened = Search.open(search.folder.root)
    assert [lesson.text for lesson in reopened.lessons] == texts


def test_write_mode_retrieves_nothing(make_task, tmp_path) -> None:
    plant(tmp_path, "svm was best")
    assert Search.create(config(make_task(), tmp_path, "write")).lessons == ()


def test_a_store_that_cannot_serve_is_refused_before_a_folder_exists(make_task, tmp_path) -> None:
    task = make_task()
    with pytest.raises(AirlabError, match="no lessons file here"):
        Search.create(config(task, tmp_path, "read"))
    (tmp_path / "lessons.db").write_text("not sqlite " * 200)
    with pytest.raises(AirlabError, match="not a usable lessons file"):
        Search.create(config(task, tmp_path))
    assert not (tmp_path / "runs").exists()
