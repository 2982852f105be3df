"""Registers the `scripted` backend for the runner tests; the crash tests' driver process."""

from __future__ import annotations

from pathlib import Path

import airlab.backends.scripted  # noqa: F401 - registers "scripted"
from airlab.runner import Run


def resume_run(root: str) -> None:
    """Drive a run to its end from its folder (a child process the crash tests kill)."""
    Run.resume(Path(root)).execute()
