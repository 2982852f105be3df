"""Running a recorded script in the sandbox on a small table shaped like the task it was written
for (the tests of repairs that turn a model's failing script into one that runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from airlab.sandbox.base import Execution, ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox


def run_on_table(script: str, tmp_path: Path, write_public: Callable[[Path], None]) -> Execution:
    """`script` run in a fresh work folder, `write_public` having written `public/`."""
    public = tmp_path / "public"
    write_public(public)
    request = ExecutionRequest(
        script=script,
        workdir=tmp_path / "work",
        public_dir=public,
        limits=ExecutionLimits(time_s=60, memory_mb=2048),
    )
    return get_sandbox("process").run(request)
