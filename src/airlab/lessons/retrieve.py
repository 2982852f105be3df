"""Which lessons a run gets: BM25 (rank-bm25) over each lesson's text and keys, boosted where
the task type, the metric and the data shape match the run's task.

BM25 alone ranks by shared words; the boosts make a lesson from a task of the same type and
metric win over one that merely mentions them. Ties go to the newer lesson.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from airlab.lessons.keys import TaskKeys
from airlab.lessons.store import Lesson, RetrievedLesson

TYPE_BOOST = 2.0
METRIC_BOOST = 1.0
SHAPE_BOOST = 0.5
"""Added per matching bucket (rows, cols, target kind)."""
_WORD = re.compile(r"[a-z0-9_<>=.-]+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def document(lesson: Lesson) -> list[str]:
    """What BM25 indexes of a lesson: its text, its keys and its families."""
    return tokens(lesson.text) + lesson.keys.tokens() + list(lesson.families)


def relevance(lesson: Lesson, keys: TaskKeys) -> float:
    """The key boost of `lesson` for a task of `keys`."""
    boost = TYPE_BOOST * (lesson.keys.task_type == keys.task_type)
    boost += METRIC_BOOST * (lesson.keys.metric == keys.metric)
    shape = ((lesson.keys.rows, keys.rows), (lesson.keys.cols, keys.cols))
    boost += SHAPE_BOOST * sum(a == b for a, b in (*shape, (lesson.keys.target, keys.target)))
    return boost


def retrieve(
    lessons: Sequence[Lesson], keys: TaskKeys, *, query: str = "", top_k: int = 5
) -> list[RetrievedLesson]:
    """The `top_k` lessons for a task of `keys` (`query`: more words, e.g. its title)."""
    if not lessons or top_k <= 0:
        return []
    from rank_bm25 import BM25Okapi  # numpy-backed: imported only when a store is read

    corpus = [document(lesson) for lesson in lessons]
    bm25 = BM25Okapi(corpus)
    scores = bm25.get_scores(keys.tokens() + tokens(query))
    ranked = sorted(
        zip(lessons, scores, strict=True),
        key=lambda pair: (-(float(pair[1]) + relevance(pair[0], keys)), -pair[0].created_at),
    )
    return [
        RetrievedLesson(
            id=lesson.id or 0,
            text=lesson.text,
            families=tuple(lesson.families),
            score=float(score) + relevance(lesson, keys),
        )
        for lesson, score in ranked[:top_k]
    ]


def preferred_families(lessons: Sequence[RetrievedLesson]) -> list[str]:
    """Families ranked by the retrieved lessons, best first: each lesson's ranking is a Borda
    count weighted by the lesson's own rank (the most relevant lesson counts most)."""
    points: dict[str, float] = {}
    for rank, lesson in enumerate(lessons):
        weight = 1.0 / (rank + 1)
        n = len(lesson.families)
        for place, family in enumerate(lesson.families):
            points[family] = points.get(family, 0.0) + weight * (n - place) / n
    return sorted(points, key=lambda family: (-points[family], family))
