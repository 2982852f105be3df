"""SIGKILL the process driving a run at many random points: no finished node is lost or changed,
no node is recorded twice, no candidate outlives its driver, and resuming always finishes the run.

The driver is a forkserver child that already imported airlab, so a kill point costs a fork,
not an interpreter start-up, and 50 of them fit in well under a minute.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
import scripted
from scripted import supervisors

from airlab.journal import Journal, Node, NodeStatus
from airlab.result import FINISHED
from airlab.runner import Run, RunConfig

KILL_POINTS = 50
STEPS = 4


def _snapshot(root: Path) -> list[Node]:
    with Journal.open(root / "journal.sqlite") as journal:
        return journal.nodes()


def _check(before: list[Node], after: list[Node]) -> None:
    """Finished nodes are kept as they were; ids are unique and dense; the budget holds."""
    assert [n.id for n in after] == list(range(len(after)))
    assert sum(n.status != "cancelled" for n in after) <= STEPS
    by_id = {n.id: n for n in after}
    for node in before:
        if node.status.finished:
            kept = by_id[node.id].model_dump(exclude={"test_score"})
            assert kept == node.model_dump(exclude={"test_score"}), node.id


@pytest.mark.slow
def test_random_sigkills_lose_nothing_and_resume_finishes(make_task, tmp_path):
    task = make_task()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["airlab.runner", "scripted"])
    rng = random.Random(5)
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "backend": "scripted",
            "budget": {"steps": STEPS},
            "workers": 2,
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 30},
        }
    )
    roots: list[Path] = []
    kills = 0
    while kills < KILL_POINTS:
        if not roots or _complete(roots[-1]):
            run = Run.create(config)
            run.journal.close()
            roots.append(run.folder.root)
        root = roots[-1]
        before = _snapshot(root)
        driver = context.Process(target=scripted.resume_run, args=(str(root),))
        driver.start()
        driver.join(timeout=rng.uniform(0.0, 1.0))
        if driver.is_alive():
            try:
                os.kill(driver.pid, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:  # it finished between the check and the kill
                pass
        driver.join()
        _check(before, _snapshot(root))

    for root in roots:  # `airlab resume` finishes every run
        driver = context.Process(target=scripted.resume_run, args=(str(root),))
        driver.start()
        driver.join(timeout=120)
        assert driver.exitcode == 0
        nodes = _snapshot(root)
        assert len(nodes) == STEPS and all(n.status.finished for n in nodes)
        assert _complete(root)
    # candidates die with the driver that started them
    give_up = time.monotonic() + 10
    while supervisors() and time.monotonic() < give_up:
        time.sleep(0.1)
    assert supervisors() == []
    print(f"{kills} kills over {len(roots)} runs", file=sys.stderr)


def _complete(root: Path) -> bool:
    """Finished: a run whose every node the kills left LOST ends `no_valid_solution`."""
    with Journal.open(root / "journal.sqlite") as journal:
        return journal.get_meta("status") in FINISHED and (root / "result.json").is_file()


def test_a_candidate_that_keeps_killing_its_driver_is_marked_lost(make_task, tmp_path):
    """A node started MAX_EXECUTION_ATTEMPTS times without finishing is not started again."""
    config = RunConfig.model_validate(
        {
            "task": str(make_task()),
            "backend": "scripted",
            "budget": {"steps": 2},
            "workers": 1,
            "runs_dir": str(tmp_path / "runs"),
        }
    )
    run = Run.create(config)
    node = run.journal.add("draft")
    run.journal.update(node.id, status=NodeStatus.RUNNING, code="print('never')\n", attempts=3)
    run.journal.close()
    resumed = Run.resume(run.folder.root)
    result = resumed.execute()
    lost = resumed.journal.get(node.id)
    assert lost.status == "lost" and lost.attempts == 3
    assert "never finished" in (lost.error or "")
    assert result.lost_nodes == 1 and result.nodes == 2
