"""Shared by the runner tests: registers the `scripted` backend; finds the sandbox supervisors
this test process started; drives a run or a sweep in a child process the crash tests kill."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

import airlab.backends.scripted  # noqa: F401 - registers "scripted"
from airlab.runner import Run


def resume_run(root: str) -> None:
    """Drive a run to its end from its folder."""
    Run.resume(Path(root)).execute()


def continue_sweep(root: str, spec: dict) -> None:
    """Drive a sweep to its end (started or continued) from its folder."""
    from airlab.runner.sweep import Sweep, load_spec

    Sweep.create_or_continue(Path(root), load_spec(spec, "test")).execute()


def supervisors(among: Iterable[psutil.Process] | None = None) -> list[psutil.Process]:
    """Sandbox supervisors among `among` (default: every process this test process started,
    Ray's workers included); one that ended or is a zombie while it is read is skipped."""
    found = []
    for proc in psutil.Process().children(recursive=True) if among is None else among:
        try:
            if any(part.endswith("supervisor.py") for part in proc.cmdline()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_until(condition: Callable[[], object], seconds: float = 60.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.05)
