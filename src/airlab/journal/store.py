"""The journal: every node of a run in SQLite (WAL), durable before the next step starts.

One process writes (the run's driver, holding the run folder's lock); any number may read (viewer,
reports). Nodes are written by the driver's loop; model calls (the usage ledger, `calls`) by
whichever thread made them, serialised by a lock. Finished nodes are immutable, except for the
hidden `select`/`test` scores added when the run ends. Each write is its own committed transaction,
so a SIGKILL loses at most the step in flight, never a finished one.

The schema is versioned (`PRAGMA user_version`); an older journal is migrated when a driver opens it
(readers read it as it is), so a run started by an earlier airlab resumes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from airlab.errors import JournalError
from airlab.journal.calls import CallRecord, Spend
from airlab.journal.meta import META_VERSION, RunMeta, validate_meta
from airlab.journal.node import Node, NodeStatus

SCHEMA_VERSION = 3
JOURNAL_FILE = "journal.sqlite"

_COLUMNS: dict[str, str] = {
    "id": "INTEGER PRIMARY KEY",
    "parent_ids": "TEXT NOT NULL",
    "operator": "TEXT NOT NULL",
    "status": "TEXT NOT NULL",
    "note": "TEXT NOT NULL DEFAULT ''",
    "plan": "TEXT NOT NULL DEFAULT ''",
    "code": "TEXT NOT NULL DEFAULT ''",
    "failure": "TEXT",
    "error": "TEXT",
    "search_score": "REAL",
    "select_score": "REAL",
    "test_score": "REAL",
    "self_reported_score": "REAL",
    "exit_code": "INTEGER",
    "peak_memory_mb": "REAL",
    "exec_seconds": "REAL",
    "generation_seconds": "REAL",
    "stdout_tail": "TEXT NOT NULL DEFAULT ''",
    "stderr_tail": "TEXT NOT NULL DEFAULT ''",
    "created_at": "REAL NOT NULL",
    "started_at": "REAL",
    "finished_at": "REAL",
    "worker": "TEXT",
    "sandbox": "TEXT",
    "debug_depth": "INTEGER NOT NULL DEFAULT 0",
    "tokens_in": "INTEGER NOT NULL DEFAULT 0",
    "tokens_out": "INTEGER NOT NULL DEFAULT 0",
    "cost_usd": "REAL NOT NULL DEFAULT 0",
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "meta": "TEXT NOT NULL DEFAULT '{}'",
}
_CALL_COLUMNS: dict[str, str] = {
    "id": "INTEGER PRIMARY KEY",
    "node_id": "INTEGER",
    "purpose": "TEXT NOT NULL",
    "backend": "TEXT NOT NULL",
    "model": "TEXT NOT NULL DEFAULT ''",
    "started_at": "REAL NOT NULL",
    "finished_at": "REAL NOT NULL",
    "tokens_in": "INTEGER NOT NULL DEFAULT 0",
    "tokens_out": "INTEGER NOT NULL DEFAULT 0",
    "cost_usd": "REAL NOT NULL DEFAULT 0",
    "usage_reported": "INTEGER NOT NULL DEFAULT 1",
    "priced": "INTEGER NOT NULL DEFAULT 1",
    "retries": "INTEGER NOT NULL DEFAULT 0",
    "error": "TEXT",
    "fatal": "INTEGER NOT NULL DEFAULT 0",
}
_V3_CALL_COLUMNS: dict[str, str] = {
    "cached_in": "INTEGER NOT NULL DEFAULT 0",
    "cache_write_in": "INTEGER NOT NULL DEFAULT 0",
    "reasoning_out": "INTEGER NOT NULL DEFAULT 0",
}
"""Added by v3: prompt-cache and reasoning tokens."""


def _create_calls(db: sqlite3.Connection, columns: dict[str, str] | None = None) -> None:
    columns = columns or {**_CALL_COLUMNS, **_V3_CALL_COLUMNS}
    spec = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    db.execute(f"CREATE TABLE calls ({spec})")


LEGACY_SPEND = "legacy_spend"
"""Meta key: what a v1 run had spent before its migration (v1 kept spend only on nodes)."""


def _legacy_spend(db: sqlite3.Connection) -> dict[str, Any]:
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), "
        "COALESCE(SUM(cost_usd), 0) FROM nodes WHERE tokens_in > 0 OR tokens_out > 0"
    ).fetchone()
    return {"calls": 0, "tokens_in": row[1], "tokens_out": row[2], "cost_usd": row[3]}


def _v1_to_v2(db: sqlite3.Connection) -> None:
    _create_calls(db, _CALL_COLUMNS)
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        (LEGACY_SPEND, json.dumps(_legacy_spend(db))),
    )


def _v2_to_v3(db: sqlite3.Connection) -> None:
    for name, kind in _V3_CALL_COLUMNS.items():
        db.execute(f"ALTER TABLE calls ADD COLUMN {name} {kind}")


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3}
"""Version N → N+1. v2 added the usage ledger (`calls`) and the `queued` node status (a value,
no column change); a v1 run's spend, kept on its nodes, becomes the ledger's starting total.
v3 added the cached, cache-written and reasoning tokens of each call."""

_JSON_COLUMNS = {"parent_ids", "meta"}
_AFTER_FINISH = {"select_score", "test_score"}


def _to_row(values: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for key, value in values.items():
        if key in _JSON_COLUMNS:
            value = json.dumps(list(value) if key == "parent_ids" else value, sort_keys=True)
        elif isinstance(value, StrEnum):
            value = value.value
        row[key] = value
    return row


def _from_row(row: sqlite3.Row) -> Node:
    values = dict(row)
    values["parent_ids"] = tuple(json.loads(values["parent_ids"]))
    values["meta"] = json.loads(values["meta"])
    return Node.model_validate(values)


class Journal:
    """SQLite-backed store of a run's nodes and run-level metadata."""

    def __init__(self, path: Path, connection: sqlite3.Connection, version: int) -> None:
        self.path = path
        self._db = connection
        self.version = version
        self._lock = threading.RLock()
        self._nodes: dict[int, Node] = {row.id: row for row in self._read_all()}
        self._calls: list[CallRecord] = list(self._read_calls())
        self._spend = Spend.of(self._calls)
        legacy = _legacy_spend(self._db) if version < 2 else self.get_meta(LEGACY_SPEND)
        self._legacy = Spend(**legacy) if legacy else Spend()

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, meta: dict[str, Any] | None = None) -> Journal:
        """A new journal; `meta` is written in the same transaction as the schema, so a journal
        is never seen without it (a driver killed while creating one leaves no half-run)."""
        path = Path(path)
        if path.exists():
            raise JournalError(f"{path}: a journal already exists; use `airlab resume`")
        path.parent.mkdir(parents=True, exist_ok=True)
        db = cls._connect(path)
        columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
        with db:
            db.execute("BEGIN")  # one transaction: the DDL too, so no half-made journal is seen
            db.execute(f"CREATE TABLE nodes ({columns})")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            _create_calls(db)
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    (key, json.dumps(value, sort_keys=True))
                    for key, value in _checked_meta(
                        {"meta_version": META_VERSION, **(meta or {})}, path
                    ).items()
                ],
            )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return cls(path, db, SCHEMA_VERSION)

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> Journal:
        """Open an existing journal; `read_only` for viewers and reports, which must never write
        (they may open a run that another process is still writing)."""
        path = Path(path)
        if not path.is_file():
            raise JournalError(f"{path}: no journal here")
        try:
            db = cls._connect_read_only(path) if read_only else cls._connect(path)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{path}: not a readable journal ({exc})") from None
        if version > SCHEMA_VERSION or version < 1:
            raise JournalError(
                f"{path}: journal schema {version}, this airlab reads 1 to {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION and not read_only:
            version = cls._migrate(path, db, version)
        return cls(path, db, version)

    @staticmethod
    def _migrate(path: Path, db: sqlite3.Connection, version: int) -> int:
        """Bring an older journal to this schema, one version per committed transaction."""
        while version < SCHEMA_VERSION:
            try:
                with db:
                    MIGRATIONS[version](db)
                    db.execute(f"PRAGMA user_version = {version + 1}")
            except sqlite3.DatabaseError as exc:
                raise JournalError(
                    f"{path}: migrating the journal from schema {version} failed ({exc})"
                ) from None
            version += 1
        return version

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # A run may be created in one thread and driven in another (sweeps); it is still driven
        # by one thread at a time, its loop, which is the only writer.
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.isolation_level = "DEFERRED"
        return db

    @staticmethod
    def _connect_read_only(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------
    def _read_all(self) -> Iterator[Node]:
        for row in self._db.execute("SELECT * FROM nodes ORDER BY id"):
            yield _from_row(row)

    def refresh(self) -> None:
        """Re-read every node and call (for readers while another process writes)."""
        with self._lock:
            self._nodes = {node.id: node for node in self._read_all()}
            self._calls = list(self._read_calls())
            self._spend = Spend.of(self._calls)

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def get(self, node_id: int) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise JournalError(f"{self.path}: no node {node_id}") from None

    def __len__(self) -> int:
        return len(self._nodes)

    # ---- run metadata --------------------------------------------------------------------
    def meta(self) -> RunMeta:
        """Every meta key, validated (older journals read as `meta_version` 1)."""
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return validate_meta({row[0]: json.loads(row[1]) for row in rows}, self.path)

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_meta(self, **values: Any) -> None:
        """Write meta keys; known ones are checked against `RunMeta` (a status outside
        `RunStatus` is refused) and stored as JSON."""
        values = _checked_meta(values, self.path)
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(key, json.dumps(value, sort_keys=True)) for key, value in values.items()],
            )

    # ---- writing -------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._db:
                    yield self._db
            except sqlite3.DatabaseError as exc:
                raise JournalError(f"{self.path}: write failed ({exc})") from None

    # ---- the usage ledger ----------------------------------------------------------------
    def _read_calls(self) -> Iterator[CallRecord]:
        if self.version < 2:
            return
        for row in self._db.execute("SELECT * FROM calls ORDER BY id"):
            yield CallRecord.model_validate(dict(row))

    def add_call(self, call: CallRecord) -> CallRecord:
        """Record one model call (from any thread); returns it with its id."""
        with self._lock:
            call = call.model_copy(update={"id": (self._calls[-1].id + 1) if self._calls else 1})
            row = call.model_dump()
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            with self._transaction() as db:
                db.execute(f"INSERT INTO calls ({names}) VALUES ({marks})", tuple(row.values()))
            self._calls.append(call)
            self._spend = self._spend.add(call)
        return call

    def assign_calls(self, call_ids: Iterable[int], node_id: int) -> None:
        ids = set(call_ids)
        if not ids:
            return
        with self._lock:
            with self._transaction() as db:
                db.executemany(
                    "UPDATE calls SET node_id = ? WHERE id = ?", [(node_id, i) for i in ids]
                )
            self._calls = [
                c.model_copy(update={"node_id": node_id}) if c.id in ids else c for c in self._calls
            ]

    def calls(self) -> list[CallRecord]:
        with self._lock:
            return list(self._calls)

    def spend(self) -> Spend:
        """Every call of the run so far; for a v1 journal, the totals its nodes recorded."""
        with self._lock:
            return self._legacy + self._spend

    def add(
        self,
        operator: str,
        parent_ids: Iterable[int] = (),
        *,
        note: str = "",
        debug_depth: int = 0,
        meta: dict[str, Any] | None = None,
    ) -> Node:
        """Record a proposed step as a new node and return it."""
        parents = tuple(int(p) for p in parent_ids)
        for parent in parents:
            self.get(parent)
        node = Node(
            id=max(self._nodes, default=-1) + 1,
            parent_ids=parents,
            operator=operator,
            status=NodeStatus.PROPOSED,
            note=note,
            debug_depth=debug_depth,
            created_at=time.time(),
            meta=meta or {},
        )
        row = _to_row(node.model_dump())
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._transaction() as db:
            db.execute(f"INSERT INTO nodes ({names}) VALUES ({marks})", tuple(row.values()))
        self._nodes[node.id] = node
        return node

    def annotate(self, node_id: int, meta: dict[str, Any], **spend: Any) -> Node:
        """Add what arrives after a node finished (the model's analysis of its run, and what
        asking cost): new meta keys only, never a changed one, and spend that only grows."""
        node = self.get(node_id)
        clash = sorted(key for key in meta if key in node.meta and node.meta[key] != meta[key])
        unknown = sorted(set(spend) - {"tokens_in", "tokens_out", "cost_usd", "llm_calls"})
        if clash or unknown:
            raise JournalError(f"node {node_id}: cannot annotate {', '.join(clash + unknown)}")
        before = {**node.model_dump(include=set(spend)), "llm_calls": node.meta.get("llm_calls", 0)}
        if any(value < before[name] for name, value in spend.items()):
            raise JournalError(f"node {node_id}: recorded spend cannot shrink")
        calls = spend.pop("llm_calls", None)
        changes = {"meta": {**node.meta, **meta, **({} if calls is None else {"llm_calls": calls})}}
        changes |= spend
        return self._write(node.model_copy(update=changes), changes)

    def update(self, node_id: int, **changes: Any) -> Node:
        """Change fields of a node; a finished node only takes its select/test scores (and
        `annotate`)."""
        node = self.get(node_id)
        unknown = set(changes) - set(_COLUMNS) - {"id"}
        if unknown or "id" in changes:
            raise ValueError(f"cannot set {sorted(unknown | ({'id'} & set(changes)))} on a node")
        if node.status.finished and not set(changes) <= _AFTER_FINISH:
            frozen = sorted(set(changes) - _AFTER_FINISH)
            raise JournalError(f"node {node_id} is finished; cannot change {', '.join(frozen)}")
        # validated whole, so a value given as its plain form ("error") is stored as its type
        updated = Node.model_validate({**node.model_dump(), **changes})
        return self._write(updated, changes)

    def _write(self, updated: Node, changes: dict[str, Any]) -> Node:
        """Commit `changes` of a node, then keep `updated` as its cached copy."""
        row = _to_row({name: getattr(updated, name) for name in changes})
        assignments = ", ".join(f"{name} = ?" for name in row)
        with self._transaction() as db:
            db.execute(f"UPDATE nodes SET {assignments} WHERE id = ?", (*row.values(), updated.id))
        self._nodes[updated.id] = updated
        return updated


class Ledger:
    """The journal's calls, with running totals; safe to record from any thread."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def record(self, call: CallRecord) -> CallRecord:
        return self.journal.add_call(call)

    def calls(self) -> list[CallRecord]:
        return self.journal.calls()

    def total(self) -> Spend:
        return self.journal.spend()

    def for_node(self, node_id: int) -> Spend:
        return Spend.of([call for call in self.journal.calls() if call.node_id == node_id])

    def assign(self, call_ids: list[int], node_id: int) -> None:
        """Charge calls made before their step became a node (a policy's choice) to it."""
        self.journal.assign_calls(call_ids, node_id)


def _checked_meta(values: dict[str, Any], source: object) -> dict[str, Any]:
    """`values` validated by `RunMeta`, as JSON values (enums as their strings)."""
    checked = validate_meta(values, source).model_dump(mode="json", include=set(values))
    return {key: checked.get(key, value) for key, value in values.items()}
