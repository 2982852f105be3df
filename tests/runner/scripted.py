"""A test backend that writes the same known script for every step: a sleep of known length, then
the sample submission (a valid, if poor, solution). Runs built on it are fast and predictable.

While the task has a file `public/hold`, candidates wait for it to go (tests use it to keep
candidates running, then to let them finish fast).
"""

from __future__ import annotations

from airlab.backends import BACKENDS, Backend, Candidate, ProgramWriter, WriteRequest

SCRIPT = """\
import os, shutil, time
time.sleep({sleep_s!r})
while os.path.exists("public/hold"):
    time.sleep(0.05)
shutil.copy("public/sample_submission.csv", "submission.csv")
print("slept {sleep_s}")
"""


class ScriptedBackend(ProgramWriter):
    name = "scripted"

    def __init__(self, sleep_s: float) -> None:
        self.sleep_s = sleep_s

    def write(self, request: WriteRequest) -> Candidate:
        return Candidate(plan=f"sleep {self.sleep_s} s", code=SCRIPT.format(sleep_s=self.sleep_s))


def _scripted(model: str | None, options: dict[str, object]) -> Backend:
    return ScriptedBackend(float(options.get("sleep_s", 0.0)))  # type: ignore[arg-type]


if "scripted" not in BACKENDS._items:
    BACKENDS.register("scripted", _scripted)


def resume_run(root: str) -> None:
    """Drive a run to its end from its folder (a child process the crash tests kill)."""
    from pathlib import Path

    from airlab.runner import Run

    Run.resume(Path(root)).execute()
