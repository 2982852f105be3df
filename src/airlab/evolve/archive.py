"""The archive of `airlab evolve`: every agent folder the loop made, in one SQLite file.

`evolve/archive.sqlite` (WAL, `user_version` = ARCHIVE_SCHEMA) holds the settings of the loop,
one row per member (its files as content, the diff from its parent, generation, parent, state,
validity and the reason when invalid, the evaluation results per task, the aggregate score with a
bootstrap CI) and the usage ledger of the meta agent's model calls. Every change of a member is
one committed transaction, so a driver killed at any point (kill -9 included) leaves an archive
that `airlab evolve resume` continues: a member is never half-written.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airlab.errors import ConfigError, JournalError
from airlab.journal.calls import CallRecord, Spend

ARCHIVE_FILE = "archive.sqlite"
MAX_ANSWER = 20_000
ARCHIVE_SCHEMA = 2
"""2 added `Member.meta_answer`; a schema-1 archive is read as one whose answers were not kept."""


class MemberState(StrEnum):
    """Where a member is on its way through the loop (the order is the order of the loop)."""

    PROPOSED = "proposed"
    """Its files are stored; not yet validated."""
    VALID = "valid"
    """Validated (schema, prompts, smoke run); its evaluation is under way."""
    INVALID = "invalid"
    """Refused (malformed edit, schema, prompts, smoke run, duplicate): never a parent."""
    STAGED = "staged"
    """Valid; evaluated on the first stage's tasks only (it scored below the threshold)."""
    EVALUATED = "evaluated"
    """Valid and evaluated on every task."""

    @property
    def final(self) -> bool:
        return self in (MemberState.INVALID, MemberState.STAGED, MemberState.EVALUATED)


class TaskResult(BaseModel):
    """One task's evaluation of a member: the run's raw test score and its normalised score."""

    model_config = ConfigDict(extra="forbid")

    task: str
    score: float | None = None
    """The hidden test score of the run's final node (None: no valid submission)."""
    direction: str = "maximize"
    normalised: float | None = None
    """The task's normalised score where it defines one (baseline and reference), else None:
    the archive then normalises the task over its members (see `scoring`)."""
    failures: dict[str, int] = Field(default_factory=dict)
    """The run's nodes by failure (timeout, memory, error, ...)."""
    trajectory: str = ""
    """The run's nodes, one line each (operator, plan, outcome): evidence for the meta agent."""
    run: str = ""
    """The run folder."""


class Member(BaseModel):
    """One agent of the archive."""

    model_config = ConfigDict(extra="forbid")

    id: int
    generation: int
    slot: int
    """Its place among the generation's children (0 for the seed)."""
    parent: int | None
    state: MemberState
    content_hash: str = ""
    files: dict[str, str] = Field(default_factory=dict)
    """The folder's files, relative path → text."""
    patch: str = ""
    """Unified diff from the parent's files."""
    reason: str = ""
    """Why it is invalid."""
    edits: int = 0
    """Edits the meta agent was asked for (the parent's meta/: `edits`)."""
    selection_rule: str = ""
    """The parent-selection rule that drew its parent."""
    meta_backend: str = ""
    meta_answer: str = ""
    """The meta agent's answer as it came (an LLM's text, cut to MAX_ANSWER characters; empty
    for the offline one), kept so that a reason such as "no JSON list of edits" can be read
    against what the model actually wrote."""
    results: list[TaskResult] = Field(default_factory=list)
    score: float | None = None
    """Mean normalised score over the tasks it was evaluated on, when it was evaluated."""
    ci_low: float | None = None
    ci_high: float | None = None
    holdout: list[TaskResult] = Field(default_factory=list)
    """Its results on the held-out tasks (the seed and the best member, after the last
    generation)."""
    holdout_score: float | None = None

    @property
    def valid(self) -> bool:
        return self.state in (MemberState.VALID, MemberState.STAGED, MemberState.EVALUATED)


class EvolveSettings(BaseModel):
    """What one `airlab evolve` folder was started with; resuming keeps them."""

    model_config = ConfigDict(extra="forbid")

    agent: str
    tasks: list[str] = Field(min_length=1)
    generations: int = Field(ge=1)
    children: int = Field(ge=1)
    stage_tasks: int = Field(0, ge=0)
    """Tasks of the first stage (0: every child is evaluated on every task at once)."""
    stage_threshold: float = 0.0
    """With `stage_rule` threshold: the first-stage score a child needs to go on to every task;
    with `parent`: how far below its parent's first-stage score a child may be and still go on."""
    stage_rule: Literal["threshold", "parent"] = "threshold"
    """threshold: a fixed bar (DGM's rule; normalised scores move as the archive grows, and a
    seed below the bar froze a measured archive: every child equal to it stayed staged);
    parent: the child against its parent on the first-stage tasks, normalised together."""
    self_modify: bool | None = None
    """None: as the parent's meta/ says."""
    meta_backend: str = "offline"
    meta_backend_options: dict[str, Any] = Field(default_factory=dict)
    """The meta agent's backend options (`-B key=value`: timeout_s, temperature, ...)."""
    steps: int = Field(2, ge=1)
    workers: int = Field(1, ge=1)
    pool: str = "local"
    seed: int = 0
    smoke: bool = True
    allow_model_edits: bool = False
    """Whether a child may change `models` (agent.yaml) and `model` (meta/meta.yaml); by
    default it keeps the seed's, so a meta agent cannot buy its children another model."""
    holdout_tasks: list[str] = Field(default_factory=list)
    """Tasks never used for selection: the seed and the best member are evaluated on them after
    the last generation (does what the archive learnt transfer?)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY,
    generation INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (generation, slot)
);
CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, member INTEGER,
    body TEXT NOT NULL);
"""


class Archive:
    """The archive file; one connection, safe to use from the driver's threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            with self._db:
                self._db.executescript(_SCHEMA)
                self._db.execute(f"PRAGMA user_version={ARCHIVE_SCHEMA}")
        elif version == 1:  # rows of schema 1 are valid rows of 2 (meta_answer defaults to "")
            self._db.execute(f"PRAGMA user_version={ARCHIVE_SCHEMA}")
        elif version != ARCHIVE_SCHEMA:
            raise JournalError(
                f"{self.path}: archive schema {version}, this airlab reads {ARCHIVE_SCHEMA}"
            )

    @classmethod
    def open(cls, folder: Path) -> Archive:
        path = Path(folder) / ARCHIVE_FILE
        if not path.is_file():
            raise JournalError(f"{path}: no evolve archive here")
        return cls(path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- settings ---------------------------------------------------------------------------
    def settings(self) -> EvolveSettings | None:
        row = self._db.execute("SELECT value FROM settings WHERE key='settings'").fetchone()
        return None if row is None else EvolveSettings.model_validate_json(row[0])

    def start(self, settings: EvolveSettings) -> EvolveSettings:
        """Record the settings of a new archive, or check them against those of this one (only
        more generations may be asked for when continuing)."""
        existing = self.settings()
        if existing is not None:
            same = existing.model_dump(exclude={"generations"}) == settings.model_dump(
                exclude={"generations"}
            )
            if not same:
                changed = [
                    k
                    for k, v in settings.model_dump().items()
                    if k != "generations" and getattr(existing, k) != v
                ]
                raise ConfigError(
                    f"{self.path}: this archive was started with other settings "
                    f"({', '.join(changed)}); use `airlab evolve resume` or another folder"
                )
            if settings.generations > existing.generations:
                existing = existing.model_copy(update={"generations": settings.generations})
            else:
                return existing
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO settings VALUES ('settings', ?)",
                (settings.model_dump_json() if existing is None else existing.model_dump_json(),),
            )
        return self.settings() or settings

    # ---- members ----------------------------------------------------------------------------
    def put(self, member: Member) -> Member:
        """Insert or replace one member, in one transaction."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO members (id, generation, slot, body) VALUES (?, ?, ?, ?)",
                (member.id, member.generation, member.slot, _dump(member)),
            )
        return member

    def next_id(self) -> int:
        row = self._db.execute("SELECT max(id) FROM members").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def members(self) -> list[Member]:
        rows = self._db.execute("SELECT body FROM members ORDER BY id").fetchall()
        return [Member.model_validate_json(body) for (body,) in rows]

    def get(self, member_id: int) -> Member:
        row = self._db.execute("SELECT body FROM members WHERE id=?", (member_id,)).fetchone()
        if row is None:
            raise JournalError(f"{self.path}: no member {member_id}")
        return Member.model_validate_json(row[0])

    def at(self, generation: int, slot: int) -> Member | None:
        row = self._db.execute(
            "SELECT body FROM members WHERE generation=? AND slot=?", (generation, slot)
        ).fetchone()
        return None if row is None else Member.model_validate_json(row[0])

    def children(self, member_id: int) -> int:
        """How many children a member has (valid or not: each took a turn of the meta agent)."""
        return sum(1 for m in self.members() if m.parent == member_id)

    # ---- usage ledger -----------------------------------------------------------------------
    def record_call(self, call: CallRecord, member: int | None) -> CallRecord:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO calls (member, body) VALUES (?, ?)", (member, call.model_dump_json())
            )
        return call.model_copy(update={"id": int(cursor.lastrowid or 0)})

    def calls(self) -> list[CallRecord]:
        rows = self._db.execute("SELECT id, body FROM calls ORDER BY id").fetchall()
        return [
            CallRecord.model_validate_json(body).model_copy(update={"id": i}) for i, body in rows
        ]

    def spend(self) -> Spend:
        return Spend.of(self.calls())


def _dump(member: Member) -> str:
    data: dict[str, Any] = member.model_dump(mode="json")
    for key in ("score", "ci_low", "ci_high", "holdout_score"):
        value = data.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            data[key] = None
    return json.dumps(data)
