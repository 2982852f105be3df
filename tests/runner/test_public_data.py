"""Shipping a task's public data: packed by content, unpacked once per node, no driver path
crossing to a worker (all without Ray: the worker side is plain functions)."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import pytest

from airlab.errors import SandboxError
from airlab.runner.public_data import (
    WORKER_ROOT_ENV,
    candidate_workdir,
    ensure_unpacked,
    fingerprint,
    pack,
    remove_abandoned,
)
from airlab.runner.ray_pool import _leave_copies, make_job, run_job
from airlab.sandbox import ExecutionLimits, ExecutionRequest, get_sandbox

SCRIPT = """\
import pathlib
rows = pathlib.Path("public/train.csv").read_text()
pathlib.Path("submission.csv").write_text(rows.upper())
pathlib.Path("model.bin").write_bytes(b"x" * 10)
print("cwd entries:", sorted(p.name for p in pathlib.Path(".").iterdir()))
"""


@pytest.fixture
def public(tmp_path: Path) -> Path:
    folder = tmp_path / "driver" / "task" / "public"
    (folder / "sub").mkdir(parents=True)
    (folder / "train.csv").write_text("id,y\n1,a\n")
    (folder / "sub" / "extra.txt").write_text("more")
    return folder


def test_pack_is_named_by_content_alone(public):
    first = pack(public)
    os.utime(public / "train.csv", (1, 1))  # a new mtime, the same bytes
    again = pack(public)
    assert again.digest == first.digest and again.files == 2
    before = fingerprint(public)
    (public / "train.csv").write_text("id,y\n1,b\n")
    assert pack(public).digest != first.digest
    assert fingerprint(public) != before


def test_unpacked_once_per_node_and_checked(public, tmp_path):
    packed = pack(public)
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        return packed.payload

    root = tmp_path / "node"
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_unpacked(root, packed.digest, fetch)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1  # four candidates at once, one fetch
    assert sorted(r.fetched for r in results) == [False, False, False, True]
    copy = results[0].path
    assert (copy / "sub" / "extra.txt").read_text() == "more"
    assert copy.parent.parent == root
    with pytest.raises(SandboxError, match="do not match"):
        ensure_unpacked(root, "ab" * 32, fetch)
    with pytest.raises(SandboxError, match="invalid public data digest"):
        ensure_unpacked(root, "../x", fetch)


def _request(public: Path, tmp_path: Path) -> ExecutionRequest:
    driver = public.parent.parent
    workdir = driver / "runs" / "r" / "nodes" / "node-0001"
    workdir.mkdir(parents=True)
    return ExecutionRequest(
        script=SCRIPT,
        workdir=workdir,
        public_dir=public,
        limits=ExecutionLimits(time_s=30, memory_mb=512),
        hidden_paths=(driver, driver / "task" / "private"),
        env={"SEED": "3"},
    )


def test_a_job_carries_no_driver_path(public, tmp_path):
    request = _request(public, tmp_path)
    job = make_job(request, pack(public).digest, data_ref="ref")
    blob = pickle.dumps(job)
    driver = str(public.parent.parent)
    assert driver.encode() not in blob
    assert job.label == "node-0001" and job.env == {"SEED": "3"}


def test_run_job_on_a_node_of_its_own(public, tmp_path, monkeypatch):
    """The candidate runs under the node's root, reads the shipped copy, and only values
    come back; the second candidate on the node fetches nothing."""
    node_root = tmp_path / "node-root"
    monkeypatch.setenv(WORKER_ROOT_ENV, str(node_root))
    request = _request(public, tmp_path)
    packed = pack(public)
    job = make_job(request, packed.digest, data_ref=None)
    sandbox = get_sandbox("auto")
    fetches: list[int] = []

    def fetch() -> bytes:
        fetches.append(1)
        return packed.payload

    first = run_job(sandbox, job, fetch=fetch, gpu_ids=[])
    second = run_job(sandbox, job, fetch=fetch, gpu_ids=[])
    assert first.execution.succeeded, first.execution.stderr_tail
    assert first.execution.submission == b"ID,Y\n1,A\n"
    assert (first.data_fetched, second.data_fetched, len(fetches)) == (True, False, 1)
    assert second.setup_s < first.setup_s + 1.0
    assert "model.bin" in first.execution.stdout_tail
    assert list((node_root / "work").iterdir()) == []  # workdirs are removed afterwards
    assert sorted(os.listdir(request.workdir)) == []  # the driver's workdir was never used
    _leave_copies(request, first)
    assert sorted(os.listdir(request.workdir)) == ["solution.py", "stderr.txt", "stdout.txt"]


def test_workdirs_of_killed_workers_are_removed_by_the_next_candidate(tmp_path):
    root = tmp_path / "node"
    abandoned = root / "work" / "node-0001-dead"
    abandoned.mkdir(parents=True)
    (abandoned / "model.bin").write_bytes(b"x")
    (root / "work" / "node-0001-dead.lock").touch()  # its worker died holding nothing
    with candidate_workdir(root, "node-0002") as running:
        assert not abandoned.exists()
        assert remove_abandoned(root / "work") == []  # a running candidate's is kept
        assert running.is_dir()
    assert list((root / "work").iterdir()) == []
