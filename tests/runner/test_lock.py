"""One driver per run folder: a second driver is refused in one line naming the holder, and the
lock dies with its process (SIGKILL included), so a resume after a crash is never blocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from airlab.errors import RunLockedError
from airlab.runner.lock import LOCK_FILE, RunLock

HOLD = """
import sys, time
from airlab.runner.lock import RunLock
lock = RunLock(sys.argv[1]); lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_second_driver_is_refused_naming_the_holder(tmp_path, holder):
    with pytest.raises(RunLockedError) as caught:
        RunLock(tmp_path).check()
    message = str(caught.value)
    assert f"process {holder.pid}" in message and "\n" not in message


def test_the_lock_dies_with_its_process(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with RunLock(tmp_path):
        assert (tmp_path / LOCK_FILE).is_file()


def test_the_same_process_can_take_it_again_after_release(tmp_path):
    lock = RunLock(tmp_path)
    with lock:
        pass
    started = time.monotonic()
    with RunLock(tmp_path):
        assert time.monotonic() - started < 1


@pytest.mark.slow
def test_resuming_a_live_run_is_refused(make_task, tmp_path):
    import threading

    import airlab.backends.scripted  # noqa: F401 - registers "scripted"
    from airlab.runner import Run, RunConfig

    task = make_task()
    hold = task / "public" / "hold"
    hold.write_text("")
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "backend": "scripted",
            "budget": {"steps": 2},
            "runs_dir": str(tmp_path / "runs"),
            "run_name": "live",
        }
    )
    run = Run.create(config)
    driver = threading.Thread(target=run.execute)
    driver.start()
    try:
        deadline = time.monotonic() + 30
        while not any(n.status.in_flight for n in run.journal.nodes()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(RunLockedError, match=f"process {os.getpid()}"):
            Run.resume(run.folder.root)
    finally:
        hold.unlink()
        driver.join(60)
    assert run.complete


def test_resuming_a_folder_that_is_no_run_leaves_nothing_behind(tmp_path):
    from airlab.errors import JournalError
    from airlab.runner import Run

    not_a_run = tmp_path / "photos"
    not_a_run.mkdir()
    with pytest.raises(JournalError, match="no journal here"):
        Run.resume(not_a_run)
    assert list(not_a_run.iterdir()) == []
    with pytest.raises(JournalError, match="no journal here"):
        Run.resume(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
