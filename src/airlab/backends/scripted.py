"""A backend that writes the same known script for every step: a sleep of known length, then the
task's sample submission (valid, if poor). For benchmarks and tests of the runner, pools and
sandboxes, where candidates must be fast and predictable; importing this module registers it as
`scripted` (option `sleep_s`).

While the task has a file `public/hold`, candidates also wait for it to go: tests use it to keep
candidates running, then to let them finish at once.
"""

from __future__ import annotations

from pydantic import Field

from airlab.backends import BACKENDS, Backend, Candidate, ProgramWriter, WriteRequest
from airlab.errors import BackendError
from airlab.params import Params

SCRIPT = """\
# node {node_id}
import os, shutil, time
time.sleep({sleep_s!r})
while os.path.exists("public/hold"):
    time.sleep(0.05)
shutil.copy("public/sample_submission.csv", "submission.csv")
print("slept {sleep_s} s")
"""


class ScriptedBackend(ProgramWriter):
    name = "scripted"

    def __init__(self, sleep_s: float = 0.0) -> None:
        self.sleep_s = sleep_s

    def write(self, request: WriteRequest) -> Candidate:
        return Candidate(
            plan=f"sleep {self.sleep_s:g} s",
            code=SCRIPT.format(sleep_s=self.sleep_s, node_id=request.node_id),
        )


class ScriptedParams(Params):
    sleep_s: float = Field(0.0, ge=0)
    """How long each candidate sleeps before writing its submission."""


def _scripted(model: str | None, params: ScriptedParams) -> Backend:
    if model:
        raise BackendError("backend 'scripted' takes no model")
    return ScriptedBackend(params.sleep_s)


if not BACKENDS.is_registered("scripted"):
    BACKENDS.register("scripted", _scripted, params=ScriptedParams)
