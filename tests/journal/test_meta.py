"""The journal's run metadata goes through one model (`RunMeta`) with `RunStatus` states."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.errors import JournalError
from airlab.journal import Journal
from airlab.journal.meta import META_VERSION
from airlab.result import RunStatus

V1_RUN = Path(__file__).parent / "fixtures" / "v1-run"


def test_an_old_journal_reads_as_meta_version_1_with_its_status():
    with Journal.open(V1_RUN / "journal.sqlite", read_only=True) as journal:
        meta = journal.meta()
    assert meta.meta_version == 1
    assert isinstance(meta.status, RunStatus)
    assert meta.config is not None and meta.task_name


def test_a_new_journal_records_the_version_and_typed_status(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite", meta={"status": "running"}) as journal:
        journal.set_meta(status=RunStatus.FAILED, error="backend down")
        meta = journal.meta()
        raw = journal.get_meta("status")
    assert meta.meta_version == META_VERSION
    assert meta.status is RunStatus.FAILED and meta.error == "backend down"
    assert raw == "failed"


def test_a_status_outside_the_enum_is_refused_in_one_line(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite") as journal:
        with pytest.raises(JournalError, match="field 'status'") as info:
            journal.set_meta(status="finished")
        assert journal.meta().status is RunStatus.RUNNING
    assert "\n" not in str(info.value)


def test_keys_the_model_does_not_know_are_kept(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite", meta={"newer_key": [1, 2]}) as journal:
        assert journal.get_meta("newer_key") == [1, 2]
        assert journal.meta().model_extra == {"newer_key": [1, 2]}
