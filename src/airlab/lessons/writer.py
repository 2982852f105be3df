"""A run and its lessons: retrieved when it is created, written when it ends.

Lessons are made from the journal through `agent_view` only, before the final choice looks at
any hidden split: the template lessons always, and with a chat backend up to `MODEL_LESSONS`
lessons that the model writes from the same view (a `lessons` call, charged to the run's
ledger). They are stored once the run's test score exists, behind a last guard: a lesson whose
text carries any of the run's hidden scores (to four significant digits or more, unless the
agent saw the same number as a search score) is dropped, never stored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from airlab.errors import ConfigError
from airlab.journal.node import Node
from airlab.journal.tree import agent_view
from airlab.lessons.derive import template_lessons
from airlab.lessons.keys import TaskKeys, task_keys
from airlab.lessons.retrieve import retrieve
from airlab.lessons.store import Lesson, LessonsError, LessonStore, RetrievedLesson
from airlab.operators.memory import render_memory

if TYPE_CHECKING:
    from airlab.runner.config import LessonsSettings
    from airlab.runner.search import Search

MODEL_LESSONS = 3
LESSON_CHARS = 300
MIN_DIGITS = 4
"""A hidden score is looked for in lesson texts to this many significant digits or more."""
META_RETRIEVED = "lessons"
META_WRITTEN = "lessons_written"
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*\S)\s*$")


def check_store(settings: LessonsSettings | None) -> None:
    """Refuse, before a run folder exists, a store that cannot serve the run: a file that is no
    lessons store, a newer schema, or a missing file to read only (a typo, most likely)."""
    if settings is None:
        return
    if settings.mode == "read" and not Path(settings.path).is_file():
        raise ConfigError(
            f"--lessons {settings.path}: no lessons file here (read mode creates none)"
        )
    LessonStore(settings.path)


def retrieve_for_run(search: Search) -> list[RetrievedLesson]:
    """The lessons of a new run, recorded in its journal (a resumed run reads them from there,
    so it sees the lessons it started with)."""
    settings = search.config.lessons
    if settings is None or settings.mode == "write":
        return []
    store = LessonStore(settings.path)
    keys = task_keys(search.task)
    query = f"{search.task.spec.name} {search.task.spec.title or ''}"
    found = retrieve(store.all(), keys, query=query, top_k=settings.top_k)
    search.journal.set_meta(**{META_RETRIEVED: [lesson.to_meta() for lesson in found]})
    return found


def run_lessons(search: Search) -> tuple[RetrievedLesson, ...]:
    """The lessons the run retrieved when it was created (none without a store)."""
    stored = search.journal.get_meta(META_RETRIEVED) or []
    return tuple(RetrievedLesson.from_meta(item) for item in stored)


def lessons_due(search: Search) -> bool:
    """Whether the run writes lessons and has not yet stored them."""
    settings = search.config.lessons
    return (
        settings is not None
        and settings.mode != "read"
        and search.journal.get_meta(META_WRITTEN) is None
    )


def store_for_run(search: Search, lessons: list[Lesson]) -> None:
    """Store the run's lessons (a resumed finalisation replaces them), after the guard: called
    once every hidden score of the run exists, so it checks them all. A store that cannot be
    written is recorded in the journal, not raised: the run's result does not depend on it."""
    settings = search.config.lessons
    assert settings is not None
    raw = search.journal.nodes()
    hidden = hidden_numbers(raw) - shown_numbers(raw)
    kept = [lesson for lesson in lessons if not mentions(lesson.text, hidden)]
    try:
        ids = LessonStore(settings.path).replace_run(search.folder.root.name, kept)
    except LessonsError as exc:
        search.journal.set_meta(lessons_error=str(exc))
        return
    search.journal.set_meta(**{META_WRITTEN: ids, "lessons_dropped": len(lessons) - len(kept)})


def lessons_of_run(search: Search) -> list[Lesson]:
    """Template lessons, then the model's (chat backends), from the nodes as the agent saw
    them; made before the final choice reads any hidden split."""
    raw = search.journal.nodes()
    fitness = search.config.selection.fitness
    seen = [agent_view(node, fitness) for node in raw if node.status.finished]
    keys = task_keys(search.task)
    maximize = search.task.spec.maximize
    run_id = search.folder.root.name
    lessons = template_lessons(seen, keys, task=search.task.name, run_id=run_id, maximize=maximize)
    from airlab.backends import ChatModel

    if isinstance(search.backend, ChatModel) and seen:
        lessons += model_lessons(search, seen, keys, lessons)
    return lessons


def model_lessons(
    search: Search, seen: list[Node], keys: TaskKeys, facts: list[Lesson]
) -> list[Lesson]:
    """Up to `MODEL_LESSONS` lessons in the model's words (none when the call fails or the
    budget is spent: the template lessons stand alone then)."""
    from airlab.backends import ChatModel, Message
    from airlab.backends.llm.record import charging
    from airlab.errors import BackendError, BudgetExhaustedError

    model = search.backend
    assert isinstance(model, ChatModel)
    prompt = search.prompts.render(
        "lessons.j2",
        task_text=keys.describe(),
        task_name=search.task.name,
        memory=render_memory(seen, maximize=search.task.spec.maximize, max_chars=6000),
        facts=[lesson.text for lesson in facts],
        count=MODEL_LESSONS,
        chars=LESSON_CHARS,
    )
    try:
        with charging(None):
            answer = model.complete([Message("user", prompt)], purpose="lessons")
    except (BackendError, BudgetExhaustedError) as exc:
        search.journal.set_meta(lessons_error=f"the lessons call failed: {exc}")
        return []
    texts = parse_lessons(answer.text)[:MODEL_LESSONS]
    return [
        Lesson(
            text=text,
            author="model",
            kind="model",
            keys=keys,
            source_run=search.folder.root.name,
            source_task=search.task.name,
            source_nodes=[n.id for n in seen],
        )
        for text in texts
    ]


def parse_lessons(text: str) -> list[str]:
    """The bulleted lines of an answer, each cut to `LESSON_CHARS`."""
    found = []
    for line in text.splitlines():
        match = _BULLET.match(line)
        if match:
            lesson = " ".join(match.group(1).split())
            if len(lesson) > LESSON_CHARS:
                lesson = lesson[: LESSON_CHARS - 1] + "…"
            found.append(lesson)
    return found


def hidden_numbers(nodes: list[Node]) -> set[str]:
    """The run's hidden scores as text, to four to seven significant digits. A score with fewer
    digits (0.95 on a small split) is left out: it identifies nothing, and lessons are full of
    such numbers."""
    values = {
        value
        for node in nodes
        for value in (node.select_score, node.test_score)
        if value is not None
    }
    return {text for text in _formats(values) if _significant(text) >= MIN_DIGITS}


def _formats(values: set[float]) -> set[str]:
    return {f"{value:.{digits}g}" for value in values for digits in range(MIN_DIGITS, 8)} | {
        repr(value) for value in values
    }


def _significant(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def shown_numbers(nodes: list[Node]) -> set[str]:
    """The scores the agent saw, formatted as `hidden_numbers` formats (a hidden score that
    equals a visible one tells nothing)."""
    values = {
        value
        for node in nodes
        for value in (node.search_score, node.self_reported_score)
        if value is not None
    }
    return _formats(values)


def mentions(text: str, hidden: set[str]) -> bool:
    """Whether `text` holds one of `hidden` as a whole number (not inside a longer one)."""
    return any(re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text) for number in hidden)
