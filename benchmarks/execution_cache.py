"""A benchmark-only sandbox that runs each distinct script once and replays its execution.

Candidate scripts are deterministic (fixed seeds everywhere), and with the same seed every
policy writes the same first drafts, as TPE's random start matches random search's first trials.
Running such a script again would only spend the benchmark's time, so executions are cached on
disk by script, data and limits, shared by every search of the benchmark. Every method gets the
same cache, so the comparison is unchanged; only the reported seconds per search shrink.
The scripts that do run start warm (`--sandbox warm`: forked from an interpreter that imported
numpy, pandas and scikit-learn once), which changes no result either (benchmarks/warm_start.py).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from airlab.sandbox import SANDBOXES
from airlab.sandbox.base import Execution, ExecutionRequest
from airlab.sandbox.warm import WarmProcessSandbox

CACHE_ENV = "AIRLAB_BENCH_CACHE"
NAME = "bench-cached-warm"


class CachedWarmSandbox(WarmProcessSandbox):
    name = NAME

    def run(self, request: ExecutionRequest) -> Execution:
        folder = Path(os.environ[CACHE_ENV])
        key = hashlib.sha256(
            "\0".join((request.script, str(request.public_dir), repr(request.limits))).encode()
        ).hexdigest()
        path = folder / f"{key}.pickle"
        if path.is_file():
            return pickle.loads(path.read_bytes())
        execution = super().run(request)
        if execution.failure != "timeout":  # a timeout depends on the load of the moment
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pickle.dumps(execution))
            os.replace(temporary, path)
        return execution


def enable(folder: Path) -> str:
    """Register the caching sandbox (before worker processes fork) and return its name."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(folder.resolve())
    if NAME not in SANDBOXES:
        SANDBOXES.register(NAME, CachedWarmSandbox)
    return NAME
