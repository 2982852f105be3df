"""The sandbox's parts on their own: registry and probe, paths, outputs, env, disk, cgroups."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sandbox_support import Layout

from airlab.errors import SandboxError, UnknownNameError
from airlab.sandbox import (
    GUARANTEES,
    SANDBOXES,
    BwrapSandbox,
    ExecutionLimits,
    ProcessSandbox,
    get_sandbox,
)
from airlab.sandbox import cgroups as cg
from airlab.sandbox.disk import purge, usage_bytes
from airlab.sandbox.env import candidate_env
from airlab.sandbox.output import OutputSink, read_regular_file
from airlab.sandbox.paths import carve, outermost
from airlab.sandbox.probe import Probe, probe_bwrap

# --- registry and probe --------------------------------------------------------------------------


def test_registry_names_and_suggestions() -> None:
    assert SANDBOXES.names() == ["bwrap", "process", "warm"]
    with pytest.raises(UnknownNameError, match="did you mean 'process'"):
        get_sandbox("proces")


def test_auto_uses_bwrap_where_it_works() -> None:
    if not probe_bwrap().ok:
        pytest.skip("bwrap unavailable here")
    sandbox = get_sandbox("auto")
    assert isinstance(sandbox, BwrapSandbox)
    assert "bwrap sandbox" in sandbox.describe()


def test_auto_falls_back_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    why = "bwrap: setting up uid map: Permission denied"
    monkeypatch.setattr("airlab.sandbox.registry.probe_bwrap", lambda: Probe(False, why))
    sandbox = get_sandbox("auto")
    assert isinstance(sandbox, ProcessSandbox)
    text = sandbox.describe()
    assert text.startswith(f"bwrap unavailable: {why}; fell back to the process sandbox")
    with pytest.raises(SandboxError, match="uid map"):
        get_sandbox("bwrap")


def test_probe_reports_a_missing_binary() -> None:
    probe = probe_bwrap("airlab-no-such-bwrap")
    assert not probe.ok
    assert "not installed" in probe.detail


def test_probe_reports_blocked_namespaces(tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    probe = probe_bwrap(str(fake))
    assert not probe.ok
    assert "No permissions to create new namespace" in probe.detail


def test_claims_are_known_guarantees() -> None:
    for sandbox in (ProcessSandbox(), ProcessSandbox(use_cgroups=False, use_landlock=False)):
        assert sandbox.enforces() <= set(GUARANTEES)
        assert sandbox.describe()
    assert BwrapSandbox().enforces() <= set(GUARANTEES)


def test_bare_process_sandbox_says_what_it_does_not_do() -> None:
    text = ProcessSandbox(use_cgroups=False, use_landlock=False).describe()
    assert "NO file hiding" in text
    assert "file_hiding" not in ProcessSandbox(use_landlock=False).enforces()


# --- requests the sandbox refuses ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["../escape.py", ".hidden.py", "stdout.txt", "submission.csv", ""])
def test_bad_script_names(layout: Layout, name: str) -> None:
    request = layout.request("pass")
    request = type(request)(**{**request.__dict__, "script_name": name})
    with pytest.raises(SandboxError, match="script name"):
        ProcessSandbox().run(request)


def test_bad_limits_and_folders(layout: Layout, tmp_path: Path) -> None:
    sandbox = ProcessSandbox(use_cgroups=False, use_landlock=False)
    with pytest.raises(SandboxError, match="time_s"):
        sandbox.run(layout.request("pass", time_s=0))
    request = layout.request("pass")
    for change, message in (
        ({"public_dir": tmp_path / "missing"}, "not a directory"),
        ({"python": "airlab-no-such-python"}, "not found"),
        ({"hidden_paths": (Path(sys.executable).parent,)}, "contains the Python"),
        ({"python": str(tmp_path)}, "cannot start the candidate"),
    ):
        with pytest.raises(SandboxError, match=message):
            sandbox.run(type(request)(**{**request.__dict__, **change}))


# --- paths ---------------------------------------------------------------------------------------


def test_carve_removes_exactly_the_hidden_paths(tmp_path: Path) -> None:
    top = tmp_path / "top"
    for sub in ("a/secret", "a/keep", "b"):
        (top / sub).mkdir(parents=True)
    (top / "file.txt").write_text("x")
    (top / "link").symlink_to(top / "a" / "secret")
    hidden = [top / "a" / "secret"]
    assert carve([top], hidden) == [top / "a" / "keep", top / "b", top / "file.txt"]
    assert carve([top / "a" / "secret" / "x"], hidden) == []
    assert carve([top / "a" / "secret"], [top], granted=True) == [top / "a" / "secret"]
    assert carve([top], [tmp_path / "elsewhere"]) == [top]


def test_outermost_keeps_only_top_paths() -> None:
    paths = [Path("/a/b"), Path("/a"), Path("/a-b"), Path("/c/d"), Path("/a/b/c")]
    assert outermost(paths) == [Path("/a"), Path("/a-b"), Path("/c/d")]


# --- outputs -------------------------------------------------------------------------------------


def test_output_sink_keeps_head_in_file_and_tail_in_memory(tmp_path: Path) -> None:
    sink = OutputSink(tmp_path / "out.txt", tail_bytes=10, file_cap=20)
    for i in range(10):
        sink.write(f"{i:04d}\n".encode())
    sink.note("killed")
    sink.close()
    assert sink.tail().endswith("killed\n")
    text = (tmp_path / "out.txt").read_text()
    assert text.startswith("0000\n0001\n0002\n0003\n")
    assert "bytes over the 20-byte cap omitted" in text
    assert text.endswith("[airlab sandbox] killed\n")


def test_output_sink_replaces_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "out.txt").symlink_to(victim)
    sink = OutputSink(tmp_path / "out.txt", tail_bytes=10)
    sink.write(b"overwrite?")
    sink.close()
    assert victim.read_text() == "precious"
    assert not (tmp_path / "out.txt").is_symlink()


def test_read_regular_file_refuses_links_fifos_and_big_files(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(b"id\n1\n")
    assert read_regular_file(good, 100) == (b"id\n1\n", None)
    assert read_regular_file(tmp_path / "absent.csv", 100) == (None, None)
    (tmp_path / "link.csv").symlink_to(good)
    assert read_regular_file(tmp_path / "link.csv", 100)[0] is None
    os.mkfifo(tmp_path / "fifo.csv")
    data, why = read_regular_file(tmp_path / "fifo.csv", 100)
    assert data is None and why and "not a regular file" in why
    data, why = read_regular_file(good, 3)
    assert data is None and why and "cap" in why


# --- environment ---------------------------------------------------------------------------------


def test_candidate_env_is_built_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    env = candidate_env(
        ExecutionLimits(cpus=3),
        {"EXTRA": "1", "OMP_NUM_THREADS": "7"},
        python="/venv/bin/python",
        home="/w",
        tmpdir="/w/.tmp",
    )
    assert "OPENAI_API_KEY" not in env
    assert env["PATH"].split(":")[0] == "/venv/bin"
    assert env["MKL_NUM_THREADS"] == "3"
    assert env["OMP_NUM_THREADS"] == "7"  # the request's env wins
    assert env["CUDA_VISIBLE_DEVICES"] == ""  # no GPU asked for: none visible
    gpu = candidate_env(ExecutionLimits(gpus=1), {}, python="/p", home="/w", tmpdir="/t")
    assert gpu["CUDA_VISIBLE_DEVICES"] == "0,1"


# --- disk ----------------------------------------------------------------------------------------


def test_usage_counts_blocks_and_stops_early(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "big.bin").write_bytes(b"\1" * (1 << 20))
    for i in range(10):
        (tmp_path / f"empty{i}").touch()
    total = usage_bytes(tmp_path)
    assert total >= (1 << 20) + 10 * 4096
    assert usage_bytes(tmp_path, stop_above=10_000) > 10_000
    purge(tmp_path, keep={"empty0"})
    assert [p.name for p in tmp_path.iterdir()] == ["empty0"]


# --- cgroups -------------------------------------------------------------------------------------


def test_cgroup_lifecycle_and_stale_cleanup(monkeypatch: pytest.MonkeyPatch) -> None:
    support = cg.cgroup_support()
    if not support.available:
        pytest.skip(f"no cgroups here: {support.describe()}")
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    stale = [parent / f"{cg.PREFIX}{dead}-0-0" for parent in support.parents.values()]
    for path in stale:
        path.mkdir()
    monkeypatch.setattr(cg, "_cleaned", set())
    group = cg.Cgroup.create(ExecutionLimits(memory_mb=123, max_processes=7), support)
    try:
        assert not any(path.exists() for path in stale)
        if support.version == 1:
            limit = (group.dirs["memory"] / "memory.limit_in_bytes").read_text()
            assert int(limit) == 123 * 1024 * 1024
        assert group.pids() == set()
        assert group.oom_kills() == 0
    finally:
        group.remove()
    assert not any(d.exists() for d in group.dirs.values())


@pytest.mark.skipif(not probe_bwrap().ok, reason="bwrap unavailable here")
def test_bwrap_runs_a_python_that_lives_under_tmp(tmp_path: Path) -> None:
    """A virtualenv under /tmp (a CI clone, say) must stay visible inside bwrap's tmpfs /tmp."""
    import subprocess

    from airlab.sandbox import BwrapSandbox, ExecutionRequest

    venv = Path("/tmp") / f"airlab-venv-test-{os.getpid()}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    try:
        (tmp_path / "public").mkdir()
        request = ExecutionRequest(
            script="import sys; print('prefix', sys.prefix)",
            workdir=tmp_path / "work",
            public_dir=tmp_path / "public",
            python=str(venv / "bin" / "python"),
        )
        execution = BwrapSandbox().run(request)
        assert execution.succeeded, execution.stderr_tail
        assert f"prefix {venv}" in execution.stdout_tail
    finally:
        import shutil

        shutil.rmtree(venv, ignore_errors=True)


def test_a_pandas_candidate_with_pyarrow_installed_runs_under_the_address_space_limit(tmp_path):
    """pandas 3 reads CSVs through pyarrow when it is installed; under RLIMIT_AS pyarrow's own
    allocators spun until the time limit (the candidate env selects the system allocator)."""
    pytest.importorskip("pyarrow")
    from airlab.sandbox import get_sandbox
    from airlab.sandbox.base import ExecutionLimits, ExecutionRequest

    public = tmp_path / "public"
    public.mkdir()
    rows = "".join(f"r{i},{i % 7},{i % 2}\n" for i in range(60))
    (public / "train.csv").write_text("id,a,y\n" + rows)
    workdir = tmp_path / "work"
    workdir.mkdir()
    script = (
        "import pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        'train = pd.read_csv("public/train.csv")\n'
        'model = LogisticRegression().fit(train[["a"]], train["y"])\n'
        'print(model.score(train[["a"]], train["y"]))\n'
    )
    limits = ExecutionLimits(time_s=30, memory_mb=1024, cpus=1)
    execution = get_sandbox("process").run(
        ExecutionRequest(script=script, workdir=workdir, public_dir=public, limits=limits)
    )
    assert execution.exit_code == 0 and not execution.timed_out, execution.stderr_tail
