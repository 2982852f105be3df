"""Lessons across tasks: a SQLite store, outside any run, of short lessons from finished runs.

A run with `--lessons PATH` reads the lessons most relevant to its task into its prompts (and the
templates backend's drafts) when it starts, and writes its own when it ends. Lessons are derived
from what the agent itself saw — search-split scores and execution outcomes — never from the
hidden `select`/`test` scores or the answers (see docs/lessons.md).
"""

from airlab.lessons.keys import TaskKeys, task_keys
from airlab.lessons.store import Lesson, LessonStore, RetrievedLesson

__all__ = ["Lesson", "LessonStore", "RetrievedLesson", "TaskKeys", "task_keys"]
