"""Retrieval: planted lessons, where the one of the same task type and metric must come first,
BM25 must prefer shared words between otherwise equal lessons, and families are ranked by the
lessons' own rankings, the most relevant lesson counting most."""

from __future__ import annotations

from itertools import pairwise

from airlab.lessons.keys import TaskKeys
from airlab.lessons.retrieve import preferred_families, retrieve
from airlab.lessons.store import Lesson, RetrievedLesson


def keys(task_type: str = "classification", metric: str = "accuracy", **shape: str) -> TaskKeys:
    fields = {"rows": "rows1k-10k", "cols": "cols10-100", "target": "multiclass", **shape}
    return TaskKeys(task_type=task_type, metric=metric, **fields)  # type: ignore[arg-type]


def planted(i: int, text: str, k: TaskKeys, families: list[str] | None = None) -> Lesson:
    return Lesson(
        id=i,
        text=text,
        author="templates",
        kind="families",
        keys=k,
        families=families or [],
        source_run=f"run-{i}",
        source_task=f"task-{i}",
        created_at=1000.0 + i,
    )


def test_the_lesson_of_the_same_type_and_metric_comes_first() -> None:
    target = keys()
    lessons = [
        planted(1, "gbdt worked best on a regression of prices", keys("regression", "rmse")),
        planted(2, "random forests were strong; start there", keys()),
        planted(3, "knn timed out on wide data", keys("classification", "log_loss")),
        planted(4, "linear models underfit", keys("forecasting", "mase", target="continuous")),
    ]
    found = retrieve(lessons, target, top_k=4)
    assert [lesson.id for lesson in found][:2] == [2, 3]
    assert found[-1].id == 4
    assert all(a.score >= b.score for a, b in pairwise(found))


def test_shared_words_break_a_tie_of_keys() -> None:
    target = keys()
    lessons = [
        planted(1, "svm with scaled features was best", keys()),
        planted(2, "gradient boosting on digits images was best", keys()),
        planted(3, "mlp needed more iterations", keys()),
    ]
    found = retrieve(lessons, target, query="digits images", top_k=1)
    assert found[0].id == 2


def test_top_k_and_an_empty_store() -> None:
    lessons = [planted(i, f"lesson {i}", keys()) for i in range(1, 8)]
    assert len(retrieve(lessons, keys(), top_k=3)) == 3
    assert retrieve([], keys(), top_k=3) == []


def test_families_follow_the_most_relevant_lessons() -> None:
    lessons = [
        RetrievedLesson(1, "a", families=("svm", "gbdt", "linear")),
        RetrievedLesson(2, "b", families=("gbdt", "svm")),
        RetrievedLesson(3, "c", families=("knn",)),
    ]
    ranked = preferred_families(lessons)
    assert ranked[0] == "svm"
    assert set(ranked) == {"svm", "gbdt", "linear", "knn"}
    assert preferred_families(list(reversed(lessons)))[0] == "knn"
    assert preferred_families([]) == []
