"""`airlab lessons list|show|prune`: look into a lessons store and trim it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from airlab.errors import ConfigError

if TYPE_CHECKING:
    from airlab.lessons.store import LessonStore

lessons_app = typer.Typer(
    help="Look into and trim a lessons store (`--lessons PATH` of run and sweep).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

StorePath = Annotated[Path, typer.Argument(help="The lessons file (SQLite).")]


def _open(path: Path) -> LessonStore:
    from airlab.lessons.store import LessonStore

    if not path.is_file():
        raise ConfigError(f"{path}: no lessons file here")
    return LessonStore(path)


@lessons_app.command("list")
def list_lessons(
    path: StorePath,
    task: Annotated[str | None, typer.Option(help="Only lessons from this task.")] = None,
) -> None:
    """One line per lesson: id, source task, kind, keys, the text's start."""
    console = Console()
    lessons = [les for les in _open(path).all() if task is None or les.source_task == task]
    for lesson in lessons:
        keys = lesson.keys
        console.print(
            f"{lesson.id:>5}  {lesson.source_task:<16} {lesson.kind:<9} "
            f"{keys.task_type}/{keys.metric}  {escape(lesson.text[:90])}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"{len(lessons)} lesson(s)", highlight=False)


@lessons_app.command("show")
def show(path: StorePath, lesson_id: Annotated[int, typer.Argument(help="Lesson id.")]) -> None:
    """One lesson, every field, as JSON."""
    lesson = _open(path).get(lesson_id)
    if lesson is None:
        raise ConfigError(f"{path}: no lesson {lesson_id}")
    typer.echo(lesson.model_dump_json(indent=2))


@lessons_app.command("prune")
def prune(
    path: StorePath,
    task: Annotated[str | None, typer.Option(help="Remove the lessons of this task.")] = None,
    run: Annotated[str | None, typer.Option(help="Remove the lessons of this run.")] = None,
    older_than_days: Annotated[
        float | None, typer.Option(help="Remove lessons older than this many days.")
    ] = None,
    lesson_id: Annotated[
        list[int] | None, typer.Option("--id", help="Remove this lesson (repeatable).")
    ] = None,
) -> None:
    """Remove lessons matching every filter given (at least one is required)."""
    if task is None and run is None and older_than_days is None and not lesson_id:
        raise ConfigError("airlab lessons prune: give --task, --run, --older-than-days or --id")
    store = _open(path)
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    doomed = [
        les.id
        for les in store.all()
        if les.id is not None
        and (task is None or les.source_task == task)
        and (run is None or les.source_run == run)
        and (cutoff is None or les.created_at < cutoff)
        and (not lesson_id or les.id in lesson_id)
    ]
    removed = store.delete(doomed)
    Console().print(f"removed {removed} lesson(s)", highlight=False)
