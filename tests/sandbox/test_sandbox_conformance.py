"""The built-in sandboxes against the shipped contract (`airlab.testing.sandbox.SandboxSuite`),
plus what only the supervised sandboxes promise: start-up races, lost supervisors, the tree
dying with the runner, leftover cgroups, the kernel's file-size limit, the log file cap."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sandbox_support import KIND_SOURCE, KINDS, kill_mid_run

from airlab.sandbox import Sandbox
from airlab.sandbox.cgroups import PREFIX, cgroup_support
from airlab.sandbox.disk import usage_bytes
from airlab.testing.hostile import (
    MARK_VAR,
    MIB,
    Layout,
    escaping_tree,
    script,
    timed,
    wait_until,
)
from airlab.testing.sandbox import Claim, SandboxSuite


class TestBuiltinSandboxes(SandboxSuite):
    run_unclaimed_unsafe = True

    @pytest.fixture
    def sandbox(self, kind: str) -> Sandbox:
        return KINDS[kind]()


def test_output_log_keeps_its_head_and_is_capped(sandbox: Sandbox, layout: Layout) -> None:
    code = "import sys\nfor i in range(90_000):\n    print(f'line {i:07d} ' + 'x' * 40)\n"
    result = sandbox.run(layout.request(code, output_bytes=1000))
    assert result.succeeded, result.stderr_tail
    log = (layout.workdir / "stdout.txt").read_bytes()
    assert log.startswith(b"line 0000000")
    assert 4 * MIB < len(log) < 4 * MIB + 2000
    assert b"omitted" in log


def _supervisors() -> list[psutil.Process]:
    found: list[psutil.Process] = []
    for child in psutil.Process().children():
        command = child.cmdline()
        if any(part.endswith("supervisor.py") for part in command):
            found.append(child)
        elif any(part.endswith("zygote.py") for part in command):
            found.extend(child.children())  # the warm sandbox's supervisors: its zygote's forks
    return found


def test_cancel_all_during_start_up_still_cancels(
    sandbox: Sandbox, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands while a run is starting (before its supervisor is registered)."""
    prepare = sandbox._prepare  # type: ignore[attr-defined]

    def prepare_then_cancel(*args: object) -> object:
        launch = prepare(*args)
        sandbox.cancel_all()
        return launch

    monkeypatch.setattr(sandbox, "_prepare", prepare_then_cancel)
    result, elapsed = timed(sandbox, layout.request(escaping_tree(layout.mark), time_s=60))
    assert result.cancelled  # type: ignore[attr-defined]
    assert elapsed < 20
    assert layout.alive() == []


def test_killed_supervisor_is_a_lost_worker(kind: str, sandbox: Sandbox, layout: Layout) -> None:
    """A supervisor killed from outside is the worker's failure, not the candidate's. Its tree
    dies with it where a PID namespace or a cgroup holds the tree (a bare process sandbox has
    lost track of the orphans once their subreaper is gone)."""
    kill_mid_run(sandbox, layout, _supervisors)
    if kind == "bwrap" or (cgroup_support().available and kind != "process-bare"):
        wait_until(lambda: layout.alive() == [], seconds=5)


def test_tree_dies_with_the_runner(
    kind: str, sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    """The process running the sandbox is SIGKILLed mid-run: the candidate's tree must die too."""
    claim("tree_kill")
    code = escaping_tree(layout.mark)
    runner = script(
        f"""
        from pathlib import Path
        from airlab.sandbox import BwrapSandbox, ExecutionLimits, ExecutionRequest, ProcessSandbox
        from airlab.sandbox.warm import WarmProcessSandbox
        sandbox = {KIND_SOURCE[kind]}
        sandbox.run(ExecutionRequest(
            script={code!r}, workdir=Path({str(layout.workdir)!r}),
            public_dir=Path({str(layout.public)!r}), limits=ExecutionLimits(time_s=60),
            hidden_paths=(Path({str(layout.run)!r}),), env={{{MARK_VAR!r}: {layout.mark!r}}}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", runner])
    try:
        give_up = time.monotonic() + 20
        while len(layout.alive()) < 3 and time.monotonic() < give_up:
            time.sleep(0.05)
        assert len(layout.alive()) >= 3, "the candidate never started"
    finally:
        proc.kill()
        proc.wait()
    give_up = time.monotonic() + 3
    while (layout.alive() or leftover_cgroups(proc.pid)) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert layout.alive() == []
    assert leftover_cgroups(proc.pid) == []


def leftover_cgroups(owner: int) -> list[Path]:
    """cgroups an airlab process with pid `owner` created and did not remove."""
    support = cgroup_support()
    return [
        entry for parent in support.parents.values() for entry in parent.glob(f"{PREFIX}{owner}-*")
    ]


def test_one_huge_file_is_stopped_by_the_kernel(sandbox: Sandbox, layout: Layout) -> None:
    code = script(
        """
        try:
            with open("big.bin", "wb") as out:
                out.write(b"\\1" * (64 << 20))
        except OSError as exc:
            print("refused:", exc.errno)
        """
    )
    result = sandbox.run(layout.request(code, disk_mb=16))
    assert "refused: 27" in result.stdout_tail  # EFBIG, from RLIMIT_FSIZE
    assert usage_bytes(layout.workdir) <= 17 * MIB
