"""A journal written by an earlier airlab (schema v1, main at 69464b3: a 6-step digits search
killed with two nodes running) is read as it is, migrated when a driver opens it, and resumes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from airlab.journal import CallRecord, Journal, NodeStatus
from airlab.journal.store import SCHEMA_VERSION
from airlab.runner import Run

V1_RUN = Path(__file__).parent / "fixtures" / "v1-run"


@pytest.fixture
def v1_run(tmp_path):
    root = tmp_path / "v1-run"
    shutil.copytree(V1_RUN, root)
    return root


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_readers_read_a_v1_journal_without_changing_it(v1_run):
    path = v1_run / "journal.sqlite"
    with Journal.open(path, read_only=True) as journal:
        statuses = [n.status for n in journal.nodes()]
        assert journal.calls() == [] and journal.spend().calls == 0
    assert statuses.count(NodeStatus.RUNNING) == 2 and statuses.count(NodeStatus.GOOD) == 3
    assert _version(path) == 1


def test_a_driver_migrates_it_once(v1_run):
    path = v1_run / "journal.sqlite"
    with Journal.open(path) as journal:
        assert journal.version == SCHEMA_VERSION == 3
        nodes = journal.nodes()
    assert _version(path) == SCHEMA_VERSION
    with Journal.open(path) as again:  # idempotent: already at the current schema
        assert again.nodes() == nodes


@pytest.mark.slow
def test_a_v1_run_resumes_to_the_end(v1_run):
    result = Run.resume(v1_run).execute()
    assert result.status == "complete" and result.nodes == 6
    with Journal.open(v1_run / "journal.sqlite", read_only=True) as journal:
        nodes = journal.nodes()
    assert all(n.status.finished for n in nodes)
    assert [n.id for n in nodes] == list(range(6))
    assert result.final_node is not None and result.scores.test is not None


def _v2_journal(path: Path) -> None:
    """A journal as v2 wrote it: one call, no cache or reasoning columns."""
    with Journal.create(path) as journal:
        journal.add_call(
            CallRecord(
                purpose="draft",
                backend="openai/x",
                started_at=1.0,
                finished_at=2.0,
                tokens_in=10,
                tokens_out=5,
            )
        )
    with sqlite3.connect(path) as db:
        for column in ("cached_in", "cache_write_in", "reasoning_out"):
            db.execute(f"ALTER TABLE calls DROP COLUMN {column}")
        db.execute("PRAGMA user_version = 2")


def test_v2_to_v3_adds_the_cache_and_reasoning_columns(tmp_path):
    path = tmp_path / "journal.sqlite"
    _v2_journal(path)
    with Journal.open(path, read_only=True) as journal:  # readers read v2 as it is
        assert [c.tokens_in for c in journal.calls()] == [10]
        assert journal.calls()[0].cached_in == 0
    assert _version(path) == 2
    with Journal.open(path) as journal:
        assert journal.version == 3
        journal.add_call(
            CallRecord(
                purpose="analysis",
                backend="openai/x",
                started_at=3.0,
                finished_at=4.0,
                tokens_in=20,
                tokens_out=9,
                cached_in=16,
                reasoning_out=4,
            )
        )
    with Journal.open(path, read_only=True) as journal:
        calls = journal.calls()
    assert [(c.tokens_in, c.cached_in, c.reasoning_out) for c in calls] == [(10, 0, 0), (20, 16, 4)]
    assert _version(path) == 3
