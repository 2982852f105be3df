"""The Ray pool on a multi-node cluster without a shared filesystem (see `ray_cluster.py`):
candidates run and are graded, a killed driver resumes, a lost node is retried, a sweep runs."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import scripted
import yaml
from ray_cluster import DRIVER_ENV, LocalCluster
from scripted import wait_until
from typer.testing import CliRunner

from airlab.cli import app
from airlab.errors import JournalError
from airlab.journal import Journal, NodeStatus
from airlab.runner import Run, RunConfig
from airlab.runner.sweep import Sweep, load_spec
from tiny_task import write_tiny_task

DRIVER_FILES = {"solution.py", "stdout.txt", "stderr.txt", "submission.csv"}
"""What a node folder on the driver holds after a remote candidate: what the driver wrote."""


@dataclass
class Setup:
    cluster: LocalCluster
    driver: Path
    """The driver's folder: tasks and runs; an empty tmpfs on every worker node."""
    roots: dict[str, Path]
    """Each worker node's working root."""


@pytest.fixture(scope="module")
def setup(ray_exclusive: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    ray = pytest.importorskip("ray")
    import ray._private.ray_constants as ray_constants

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding the driver's folder from worker nodes needs root and unshare")
    if ray.is_initialized():
        ray.shutdown()
    patch = pytest.MonkeyPatch()
    for key, value in DRIVER_ENV.items():
        patch.setenv(key, value)
    # This process may have imported Ray before the variable was set: the same effect.
    patch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", False)
    driver = tmp_path_factory.mktemp("driver")
    cluster = LocalCluster(driver, tmp_path_factory.mktemp("ray-logs"))
    roots = {name: tmp_path_factory.mktemp(f"node-{name}") for name in ("a", "b")}
    try:
        cluster.start()
        for name, root in roots.items():
            cluster.add_node(name, root)
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        wait_until(lambda: sum(n["Alive"] for n in ray.nodes()) == 3, seconds=60)
        yield Setup(cluster, driver, roots)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
        patch.undo()


def _config(setup: Setup, task: Path, **fields: object) -> RunConfig:
    data: dict[str, object] = {
        "task": str(task),
        "backend": "scripted",
        "backend_options": {"sleep_s": 0.2},
        "budget": {"steps": 4},
        "workers": 2,
        "pool": "ray",
        "pool_options": {"address": setup.cluster.address},
        "runs_dir": str(setup.driver / "runs"),
        "limits": {"time_s": 60},
        **fields,
    }
    return RunConfig.model_validate(data)


def _task(setup: Setup, name: str) -> Path:
    return write_tiny_task(setup.driver / "tasks" / name, name)


def _listing_on_every_node(path: Path) -> dict[str, list[str]]:
    """What each worker node sees at `path` (a Ray task pinned to each node)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=1)
    def look() -> list[str]:
        return sorted(os.listdir(path)) if os.path.isdir(path) else ["<absent>"]

    workers = [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU")]
    refs = {
        node: look.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
        ).remote()
        for node in workers
    }
    return {node: ray.get(ref, timeout=60) for node, ref in refs.items()}


def test_candidates_run_and_are_graded_on_nodes_that_cannot_see_the_driver(setup):
    task = _task(setup, "alpha")
    assert sorted(os.listdir(setup.driver)) == ["tasks"]
    seen = _listing_on_every_node(setup.driver)
    assert len(seen) == 2 and all(listing == [] for listing in seen.values())

    run = Run.create(_config(setup, task))
    result = run.execute()
    nodes = run.journal.nodes()
    assert result.nodes == 4
    assert all(n.status == NodeStatus.GOOD and n.search_score is not None for n in nodes), [
        (n.status, n.error, n.stderr_tail) for n in nodes
    ]
    assert all(n.worker and n.worker.startswith("ray:") for n in nodes)
    for node in nodes:  # workers wrote nothing into the driver's folder: it is not theirs
        assert set(os.listdir(run.folder.node_dir(node.id))) == DRIVER_FILES
    # each node unpacked the task's public data once, under its own root, and keeps no workdir
    copies = {name: sorted((root / "public").glob("*[!k]")) for name, root in setup.roots.items()}
    ran_on = {n.worker.split(":")[2] for n in nodes}
    assert sum(len(c) for c in copies.values()) == len(ran_on)
    assert all(len(c) <= 1 for c in copies.values())
    assert all(not any((root / "work").iterdir()) for root in setup.roots.values())


def _finished(root: Path) -> list:
    """The finished nodes of a run another process may be writing (or still creating)."""
    try:
        with Journal.open(root / "journal.sqlite", read_only=True) as journal:
            return [n for n in journal.nodes() if n.status.finished]
    except JournalError:  # its schema is not committed yet
        return []


def test_a_killed_driver_resumes_with_nothing_lost_or_repeated(setup):
    run = Run.create(
        _config(setup, _task(setup, "beta"), budget={"steps": 6}, backend_options={"sleep_s": 1})
    )
    root = run.folder.root
    run.journal.close()
    driver = multiprocessing.get_context("spawn").Process(
        target=scripted.resume_run, args=(str(root),)
    )
    driver.start()
    try:
        wait_until(lambda: len(_finished(root)) >= 2, seconds=90)
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        driver.join(timeout=30)
    before = {n.id: n for n in _finished(root)}
    assert 2 <= len(before) < 6

    resumed = Run.resume(root)
    result = resumed.execute()
    nodes = resumed.journal.nodes()
    assert result.nodes == 6 == len({n.id for n in nodes})
    assert all(n.status == NodeStatus.GOOD for n in nodes)
    for node in nodes:
        if node.id in before:  # finished before the kill: never touched again
            kept = before[node.id]
            assert (node.attempts, node.finished_at, node.search_score) == (
                kept.attempts,
                kept.finished_at,
                kept.search_score,
            )


@pytest.mark.slow
def test_a_ray_sweep_keeps_one_journal_per_run_and_repeats_none(setup):
    """`airlab sweep --pool ray` over ten runs (the benchmark's hundred, smaller)."""
    grid = setup.driver / "grid.yaml"
    spec = {
        "tasks": [str(_task(setup, "delta"))],
        "backends": ["scripted"],
        "seeds": list(range(10)),
        "base": {"budget": {"steps": 2}, "limits": {"time_s": 60}},
    }
    grid.write_text(yaml.safe_dump(spec))
    args = ["sweep", "-c", str(grid), "--pool", "ray", "--ray-address", setup.cluster.address]
    args += ["--workers", "2", "--sweeps-dir", str(setup.driver / "sweeps")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "10/10 runs complete" in result.output
    (folder,) = (setup.driver / "sweeps").iterdir()
    runs = sorted((folder / "runs").iterdir())
    assert [r.name for r in runs] == sorted(f"delta-greedy-scripted-s{i}" for i in range(10))
    for run in runs:
        with Journal.open(run / "journal.sqlite") as journal:
            nodes = journal.nodes()
        assert len(nodes) == 2 and all(n.status == NodeStatus.GOOD for n in nodes)
        assert all(n.attempts == 1 for n in nodes)  # nothing executed twice


@pytest.mark.slow
def test_a_ray_sweep_whose_driver_is_killed_continues_with_nothing_lost(setup):
    spec = {
        "tasks": [str(_task(setup, "epsilon"))],
        "backends": ["scripted"],
        "seeds": list(range(6)),
        "workers": 2,
        "pool": "ray",
        "pool_options": {"address": setup.cluster.address},
        "base": {
            "budget": {"steps": 2},
            "backend_options": {"sleep_s": 1},
            "limits": {"time_s": 60},
        },
    }
    root = setup.driver / "killed-sweep"
    runs = root / "runs"

    def finished() -> dict[str, list]:
        found = {}
        for run in sorted(runs.glob("*/journal.sqlite")) if runs.is_dir() else []:
            found[run.parent.name] = _finished(run.parent)
        return found

    driver = multiprocessing.get_context("spawn").Process(
        target=scripted.continue_sweep, args=(str(root), spec)
    )
    driver.start()
    try:
        wait_until(lambda: sum(len(n) for n in finished().values()) >= 3, seconds=90)
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        driver.join(timeout=30)
    before = {name: {n.id: n for n in nodes} for name, nodes in finished().items()}
    assert 3 <= sum(len(n) for n in before.values()) < 12

    sweep = Sweep.create_or_continue(root, load_spec(spec, "test"))  # the same command again
    states = sweep.execute()
    assert all(state.status == "complete" for state in states.values()), {
        name: (state.status, state.error) for name, state in states.items()
    }
    assert sorted(p.name for p in runs.iterdir()) == sorted(states)  # one journal per run
    for name, nodes in finished().items():
        assert len(nodes) == 2 and all(n.status == NodeStatus.GOOD for n in nodes)
        for node in nodes:
            kept = before.get(name, {}).get(node.id)
            if kept is not None:  # finished before the kill: never touched again
                assert (node.attempts, node.finished_at) == (kept.attempts, kept.finished_at)


@pytest.mark.slow
def test_a_node_lost_mid_candidate_is_run_again_elsewhere(setup):
    task = _task(setup, "gamma")
    run = Run.create(_config(setup, task, budget={"steps": 2}, backend_options={"sleep_s": 4}))
    errors: list[BaseException] = []

    def drive() -> None:
        try:
            run.execute()
        except BaseException as exc:
            errors.append(exc)

    def running_on_a() -> bool:
        return bool(scripted.supervisors(setup.cluster.tree("a")))

    thread = threading.Thread(target=drive)
    thread.start()
    try:
        wait_until(running_on_a, seconds=60)
        setup.cluster.kill_node("a")
    finally:
        thread.join(timeout=120)
        setup.cluster.add_node("a", setup.roots["a"])
    assert not errors and not thread.is_alive()
    nodes = run.journal.nodes()
    assert all(n.status == NodeStatus.GOOD for n in nodes)
    assert sorted(n.attempts for n in nodes) == [1, 2]  # the lost one ran again, on node b
