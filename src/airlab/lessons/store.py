"""The lessons store: one SQLite file, outside any run, that several runs may read and write.

Rows are `Lesson` models kept as JSON beside the columns they are looked up by. The file runs in
WAL mode with a busy timeout, and every write is one `BEGIN IMMEDIATE` transaction, so runs of a
sweep writing at the same time wait for each other instead of failing. A run's lessons replace
any it wrote before (a resumed run that finalises again does not duplicate them).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airlab.errors import AirlabError
from airlab.lessons.keys import TaskKeys

SCHEMA_VERSION = 1
"""The version of the store's tables and of `Lesson`; a newer file is refused in one line."""
BUSY_TIMEOUT_MS = 30_000

Author = Literal["templates", "model"]
Kind = Literal["families", "operators", "failures", "model"]


class LessonsError(AirlabError):
    """A lessons file that cannot be used (not SQLite, a newer schema, a bad row)."""


class Lesson(BaseModel):
    """One lesson: a short text, the keys of the task it came from, and where it came from.

    `evidence` holds search-split values only (best search score per family, counts of steps);
    nothing hidden — no `select` or `test` score, no answer — is ever a field of a lesson."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    """The store's row id (None until stored)."""
    text: str = Field(min_length=1, max_length=600)
    author: Author
    kind: Kind
    keys: TaskKeys
    families: list[str] = Field(default_factory=list)
    """Approach families, best first by search score (a hint program writers can act on)."""
    evidence: dict[str, float] = Field(default_factory=dict)
    """Search-split evidence: family → best search score, or step counts."""
    source_run: str
    source_task: str
    source_nodes: list[int] = Field(default_factory=list)
    created_at: float = Field(default_factory=time.time)


@dataclass(frozen=True)
class RetrievedLesson:
    """A lesson as a run carries it (journal meta, prompts, program writers)."""

    id: int
    text: str
    families: tuple[str, ...] = ()
    score: float = 0.0

    def to_meta(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "families": list(self.families),
            "score": round(self.score, 4),
        }

    @classmethod
    def from_meta(cls, data: dict[str, Any]) -> RetrievedLesson:
        return cls(
            id=int(data["id"]),
            text=str(data["text"]),
            families=tuple(str(f) for f in data.get("families") or ()),
            score=float(data.get("score") or 0.0),
        )


_TABLES = """
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lessons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_run TEXT NOT NULL,
    source_task TEXT NOT NULL,
    task_type TEXT NOT NULL,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lessons_run ON lessons (source_run);
CREATE INDEX IF NOT EXISTS lessons_keys ON lessons (task_type, metric);
"""


class LessonStore:
    """A lessons file; opening it creates it (and its folder) when missing."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise LessonsError(f"{self.path}: is a folder, expected a lessons file (SQLite)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            self._check_schema(db)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise LessonsError(f"{self.path}: cannot open lessons file: {exc}") from None
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        except sqlite3.DatabaseError as exc:
            raise LessonsError(f"{self.path}: not a usable lessons file: {exc}") from None
        finally:
            db.close()

    def _check_schema(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _TABLES.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM store_meta WHERE key='schema_version'").fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO store_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise LessonsError(
                    f"{self.path}: lessons schema {row[0]} is newer than this airlab reads "
                    f"({SCHEMA_VERSION}); upgrade airlab"
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ---- writing ---------------------------------------------------------------------------
    def replace_run(self, run_id: str, lessons: Sequence[Lesson]) -> list[int]:
        """Store `lessons` of run `run_id` in place of any it stored before; their ids."""
        ids = []
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM lessons WHERE source_run = ?", (run_id,))
                for lesson in lessons:
                    row = lesson.model_copy(update={"id": None, "source_run": run_id})
                    cursor = db.execute(
                        "INSERT INTO lessons (source_run, source_task, task_type, metric, kind,"
                        " created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            run_id,
                            row.source_task,
                            row.keys.task_type,
                            row.keys.metric,
                            row.kind,
                            row.created_at,
                            row.model_dump_json(exclude={"id"}),
                        ),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return ids

    def delete(self, ids: Sequence[int]) -> int:
        """Remove lessons by id; how many went."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            cursor = db.executemany("DELETE FROM lessons WHERE id = ?", [(i,) for i in ids])
            db.execute("COMMIT")
            return cursor.rowcount if cursor.rowcount >= 0 else 0

    # ---- reading ---------------------------------------------------------------------------
    def all(self) -> list[Lesson]:
        with self._connect() as db:
            rows = db.execute("SELECT id, data FROM lessons ORDER BY id").fetchall()
        return [self._row(row_id, data) for row_id, data in rows]

    def get(self, lesson_id: int) -> Lesson | None:
        with self._connect() as db:
            row = db.execute("SELECT id, data FROM lessons WHERE id = ?", (lesson_id,)).fetchone()
        return None if row is None else self._row(*row)

    def _row(self, row_id: int, data: str) -> Lesson:
        try:
            return Lesson.model_validate({**json.loads(data), "id": row_id})
        except (ValidationError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            raise LessonsError(f"{self.path}: lesson {row_id} is not valid: {first}") from None
