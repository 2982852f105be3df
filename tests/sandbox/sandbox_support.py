"""Every sandbox configuration the project tests, by name (the layout and the hostile scripts
live in `airlab.testing.hostile`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from airlab.errors import WorkerLostError
from airlab.sandbox import ExecutionRequest, Sandbox
from airlab.sandbox.bwrap import BwrapSandbox
from airlab.sandbox.process import ProcessSandbox
from airlab.sandbox.warm import WarmProcessSandbox
from airlab.testing.hostile import MARK_VAR, Layout, script, sleeper, wait_until


def started_warm_sandbox() -> WarmProcessSandbox:
    """A new warm sandbox whose zygote has started, so that tests timing a run time the run."""
    sandbox = WarmProcessSandbox()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "public").mkdir()
        request = ExecutionRequest(script="", workdir=root / "work", public_dir=root / "public")
        assert sandbox.run(request).succeeded
    return sandbox


def kill_mid_run(
    sandbox: Sandbox,
    layout: Layout,
    victims: Callable[[], Iterable[psutil.Process]],
    match: str | None = None,
) -> None:
    """Start a candidate whose tree (it and a child) sleeps, SIGKILL `victims()` once both are
    up, and expect the run to end as the worker's failure, not the candidate's."""
    code = script(
        f"""
        import subprocess, sys, time
        subprocess.Popen({sleeper(layout.mark)})
        time.sleep(600)
        """
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(sandbox.run, layout.request(code, time_s=60))
        wait_until(lambda: len(layout.alive()) >= 2)
        for victim in victims():
            victim.kill()
        with pytest.raises(WorkerLostError, match=match):
            future.result(timeout=30)


_shared: list[WarmProcessSandbox] = []


def warm_sandbox() -> WarmProcessSandbox:
    """One started warm sandbox per test process, shared by the contract's tests: its zygote
    takes seconds to import what it preloads, and the tests change nothing it keeps."""
    if not _shared or not _shared[0].zygote_pids():
        _shared[:] = [started_warm_sandbox()]
    return _shared[0]


KINDS: dict[str, Callable[[], Sandbox]] = {
    "process": ProcessSandbox,
    "process-bare": lambda: ProcessSandbox(use_cgroups=False, use_landlock=False),
    "bwrap": BwrapSandbox,
    "warm": warm_sandbox,
}
"""Every sandbox configuration the conformance suite runs against. "process-bare" is the plain
process sandbox with neither cgroups nor Landlock: what a machine without either gets. "warm"
forks each candidate from a zygote that imported the usual libraries."""

KIND_SOURCE = {
    "process": "ProcessSandbox()",
    "process-bare": "ProcessSandbox(use_cgroups=False, use_landlock=False)",
    "bwrap": "BwrapSandbox()",
    "warm": "WarmProcessSandbox()",
}
"""The same, as source, for tests that run a sandbox in a child interpreter."""

__all__ = ["KINDS", "KIND_SOURCE", "MARK_VAR", "Layout"]
