"""A Ray worker hides a task's package data too: the job carries the declaration (a module and
globs, no path of the driver) and the worker resolves it against its own installed packages."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from airlab.runner.public_data import WORKER_ROOT_ENV, pack
from airlab.runner.ray_pool import make_job, run_job
from airlab.sandbox import ExecutionLimits, ExecutionRequest, get_sandbox
from airlab.sandbox.paths import PackageData

DIGITS = PackageData("sklearn", ("datasets/data/digits.csv.gz",))
SCRIPT = """
import os, sklearn.datasets
path = os.path.join(os.path.dirname(sklearn.datasets.__file__), "data", "digits.csv.gz")
try:
    print("read", len(open(path, "rb").read()))
except OSError as exc:
    print("refused", type(exc).__name__)
"""


@pytest.mark.slow
def test_the_job_carries_the_declaration_and_the_worker_hides_it(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_ROOT_ENV, str(tmp_path / "node-root"))
    public = tmp_path / "public"
    public.mkdir()
    (public / "train.csv").write_text("id,x\n1,2\n")
    workdir = tmp_path / "runs" / "node-0001"
    workdir.mkdir(parents=True)
    request = ExecutionRequest(
        script=SCRIPT,
        workdir=workdir,
        public_dir=public,
        limits=ExecutionLimits(time_s=60, memory_mb=1024),
        hidden_data=(DIGITS,),
    )
    packed = pack(public)
    job = make_job(request, packed.digest, data_ref=None)
    assert job.hidden_data == (DIGITS,)
    assert str(Path.cwd()).encode() not in pickle.dumps(job.hidden_data)
    sandbox = get_sandbox("auto")
    result = run_job(sandbox, job, fetch=lambda: packed.payload, gpu_ids=[])
    out = result.execution.stdout_tail
    assert result.execution.succeeded, result.execution.stderr_tail
    if "file_hiding" in sandbox.enforces():
        assert "refused" in out or "read 0" in out, out
    else:
        assert "read" in out and "read 0" not in out, out
