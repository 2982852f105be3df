"""The templates backend acts on lessons: its drafts take the families the retrieved lessons
rank best (so the offline measurement of a store measures something), in their order, and the
random stream is the same with or without lessons."""

from __future__ import annotations

import pytest

from airlab.backends import WriteRequest, make_backend
from airlab.backends.templates.models import models_for
from airlab.journal import Node, NodeStatus
from airlab.lessons.store import RetrievedLesson
from airlab.tasks import load_task


@pytest.fixture
def task(make_task):
    return load_task(make_task())


def drafts(task, lessons, seed: int, count: int) -> list[str]:
    backend = make_backend("templates", {"bug_rate": 0.0})
    history: list[Node] = []
    for node_id in range(count):
        request = WriteRequest("draft", task, (), tuple(history), seed, node_id, lessons=lessons)
        candidate = backend.write(request)
        history.append(
            Node(
                id=node_id,
                operator="draft",
                code=candidate.code,
                plan=candidate.plan,
                meta=candidate.meta,
                status=NodeStatus.GOOD,
            )
        )
    return [n.meta["family"] for n in history]


def test_drafts_follow_the_families_lessons_rank_best(task) -> None:
    available = sorted({spec.family for spec in models_for("classification")})
    wanted = (available[-1], available[-2])  # not the first a random draw would favour
    lessons = (RetrievedLesson(1, "lesson", families=wanted),)
    for seed in range(4):
        assert drafts(task, lessons, seed, 2) == list(wanted)


def test_without_lessons_the_first_draft_varies_with_the_seed(task) -> None:
    firsts = {drafts(task, (), seed, 1)[0] for seed in range(8)}
    assert len(firsts) > 1  # so the test above could fail


def test_unknown_families_in_a_lesson_are_ignored(task) -> None:
    lessons = (RetrievedLesson(1, "lesson", families=("no-such-family",)),)
    assert drafts(task, lessons, 3, 2) == drafts(task, (), 3, 2)
