"""The contract every worker pool must keep: ask/tell execution that never blocks the loop.

`submit` returns at once with a future of a `PoolResult` (the execution, the worker's name, when
it started and finished); `workers` candidates run at the same time; `cancel_all` stops the
running ones quickly (their executions come back `cancelled`) and drops queued ones; `shutdown`
returns once running executions are done.

    class TestMyPool(PoolSuite):
        @pytest.fixture
        def pool_factory(self):
            return lambda workers, sandbox: MyPool(workers, sandbox)

Candidates here are short Python scripts (sleeps), run by the `sandbox` fixture (default: the
plain-process sandbox; override it to use another).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from airlab.runner.pool import Pool, PoolResult
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest, Sandbox
from airlab.sandbox.registry import get_sandbox

PoolFactory = Callable[[int, Sandbox], Pool]
"""(workers, sandbox) → a fresh pool."""

STARTED = "started.txt"


def make_request(tmp_path: Path, name: str, script: str, time_s: float = 60) -> ExecutionRequest:
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    return ExecutionRequest(
        script=f"open({STARTED!r}, 'w').close()\n" + script,
        workdir=tmp_path / name,
        public_dir=public,
        limits=ExecutionLimits(time_s=time_s, memory_mb=1024),
    )


def poll(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    """Whether `condition` became true within `seconds`."""
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= give_up:
            return False
        time.sleep(0.05)
    return True


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.05)


class PoolSuite:
    """Subclass it and provide the `pool_factory` fixture."""

    @pytest.fixture
    def pool_factory(self) -> PoolFactory:
        raise NotImplementedError("a PoolSuite subclass provides the pool_factory fixture")

    @pytest.fixture
    def sandbox(self) -> Sandbox:
        return get_sandbox("process")

    @pytest.fixture
    def pool(self, pool_factory: PoolFactory, sandbox: Sandbox) -> Iterator[Pool]:
        pool = pool_factory(2, sandbox)
        try:
            yield pool
        finally:
            pool.cancel_all()
            pool.shutdown()

    def test_runs_a_candidate_and_says_where(self, pool: Pool, tmp_path: Path) -> None:
        code = "print('hello')\nopen('submission.csv', 'w').write('id,y\\n1,0\\n')\n"
        result = pool.submit(make_request(tmp_path, "one", code)).result(timeout=60)
        assert isinstance(result, PoolResult), (
            f"the future of submit() must hold a PoolResult, not a {type(result).__name__}"
        )
        assert result.execution.succeeded, (
            f"a working script failed in the pool: {result.execution.stderr_tail}"
        )
        assert result.execution.submission == b"id,y\n1,0\n", (
            "the execution does not carry the submission.csv the script wrote in its workdir"
        )
        assert "hello" in result.execution.stdout_tail, "the script's stdout was not captured"
        assert isinstance(result.worker, str) and result.worker, (
            "PoolResult.worker must name the worker that ran the candidate (a non-empty string)"
        )
        assert result.started_at <= result.finished_at, (
            f"started_at {result.started_at} is after finished_at {result.finished_at}"
        )

    def test_a_failing_candidate_is_a_result_not_an_exception(
        self, pool: Pool, tmp_path: Path
    ) -> None:
        result = pool.submit(make_request(tmp_path, "bad", "raise SystemExit(3)\n")).result(
            timeout=60
        )
        assert result.execution.exit_code == 3, (
            f"a script that exits with 3 has exit_code {result.execution.exit_code}"
        )
        assert result.execution.failure == "error", (
            f"a script that exits with 3 failed as {result.execution.failure!r}, not 'error'"
        )

    def test_submit_returns_at_once_and_workers_run_together(
        self, pool: Pool, tmp_path: Path
    ) -> None:
        # A pool may start its worker processes lazily (Ray does, again after a cancel killed
        # them), and on a loaded machine a start can outlast a short candidate: a round of
        # warm-up candidates first, so that what is measured is the pool, not process start-up.
        for future in [
            pool.submit(make_request(tmp_path, f"warm{i}", "import time\ntime.sleep(1.0)\n"))
            for i in range(2)
        ]:
            future.result(timeout=120)
        started = time.monotonic()
        futures = [
            pool.submit(make_request(tmp_path, f"w{i}", "import time\ntime.sleep(3.0)\n"))
            for i in range(2)
        ]
        assert time.monotonic() - started < 1.0, "submit blocked on the execution"
        first, second = [f.result(timeout=60) for f in futures]
        assert first.execution.exit_code == 0 and second.execution.exit_code == 0, (
            f"two sleeping scripts exited with {first.execution.exit_code} and "
            f"{second.execution.exit_code}: {first.execution.stderr_tail[-500:]}"
        )
        # they ran at the same time (by the pool's own clock, not a time limit: a pool may
        # take a while to start its workers on a loaded machine)
        assert first.started_at < second.finished_at and second.started_at < first.finished_at, (
            "two candidates on two workers ran one after the other"
        )

    def test_cancel_all_stops_running_and_queued_candidates(
        self, pool: Pool, tmp_path: Path
    ) -> None:
        futures: list[Future[PoolResult]] = [
            pool.submit(make_request(tmp_path, f"c{i}", "import time\ntime.sleep(120)\n", 300))
            for i in range(3)
        ]
        # A pool that runs candidates in workdirs of its own (Ray without a shared filesystem)
        # leaves no marker here: then give it time to start them, and cancel all the same.
        if not poll(lambda: sum((tmp_path / f"c{i}" / STARTED).exists() for i in range(3)) >= 2):
            time.sleep(5.0)
        started = time.monotonic()
        pool.cancel_all()
        for future in futures:
            try:
                result = future.result(timeout=30)
            except Exception:  # a cancelled or failed future is a stopped candidate too
                continue
            assert result.execution.cancelled, "cancel_all left a candidate to finish"
        assert time.monotonic() - started < 20, "cancel_all took over 20 s to stop candidates"
