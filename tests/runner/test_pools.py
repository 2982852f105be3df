"""Worker pools behind one interface: the local pool and Ray, cancellation, lost workers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from scripted import supervisors, wait_until
from typer.testing import CliRunner

from airlab.cli import app
from airlab.errors import ConfigError, RunCancelledError
from airlab.journal import NodeStatus
from airlab.runner import LocalPool, Run, RunConfig, RunObserver, make_pool
from airlab.sandbox import ExecutionLimits, ExecutionRequest, get_sandbox


def _config(task_root: Path, tmp_path: Path, **fields: object) -> RunConfig:
    data: dict[str, object] = {
        "task": str(task_root),
        "backend": "scripted",
        "backend_options": {"sleep_s": 0.2},
        "budget": {"steps": 4},
        "workers": 2,
        "runs_dir": str(tmp_path / "runs"),
        "limits": {"time_s": 60},
        **fields,
    }
    return RunConfig.model_validate(data)


def test_unknown_pool_option_is_one_line_error(make_task, tmp_path):
    with pytest.raises(ConfigError, match="pool 'local': unknown option 'address'"):
        make_pool("local", 1, get_sandbox("process"), {"address": "auto"})
    with pytest.raises(ConfigError, match="unknown option 'adress'"):
        Run.create(_config(make_task(), tmp_path, pool="ray", pool_options={"adress": "auto"}))


def test_cancel_all_stops_only_the_pools_own_candidates(tmp_path):
    """What replaced killing every child of the host: a notebook's other children survive."""
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    public = tmp_path / "public"
    public.mkdir()
    try:
        with LocalPool(2, get_sandbox("auto")) as pool:
            futures = [
                pool.submit(
                    ExecutionRequest(
                        script="import time\ntime.sleep(60)\n",
                        workdir=tmp_path / f"w{i}",
                        public_dir=public,
                        limits=ExecutionLimits(time_s=120),
                    )
                )
                for i in range(3)
            ]
            wait_until(lambda: len(supervisors()) >= 2)
            started = time.monotonic()
            pool.cancel_all()
            results = [f.result(timeout=30) for f in futures[:2]]
            assert futures[2].cancelled()  # queued, never started
            assert time.monotonic() - started < 15
        assert all(r.execution.cancelled for r in results)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


class _InterruptAfterStarts(RunObserver):
    def __init__(self, starts: int) -> None:
        self.starts = starts

    def on_started(self, run, node):
        self.starts -= 1
        if self.starts == 0:
            time.sleep(0.3)  # let the candidates get going
            raise KeyboardInterrupt


@pytest.mark.slow
def test_interrupted_run_kills_its_candidates_then_resumes(make_task, tmp_path):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        task = make_task()
        (task / "public" / "hold").touch()
        run = Run.create(_config(task, tmp_path))
        with pytest.raises(KeyboardInterrupt):
            run.execute(_InterruptAfterStarts(2))
        wait_until(lambda: not supervisors(), seconds=15)
        assert bystander.poll() is None
        statuses = [n.status for n in run.journal.nodes()]
        assert NodeStatus.RUNNING in statuses
        assert not any(s.finished for s in statuses)
    finally:
        bystander.kill()
        bystander.wait()

    (task / "public" / "hold").unlink()
    resumed = Run.resume(run.folder.root)
    result = resumed.execute()
    nodes = resumed.journal.nodes()
    assert result.nodes == 4 == len(nodes)
    assert all(n.status == NodeStatus.GOOD for n in nodes)
    assert max(n.attempts for n in nodes) == 2  # the interrupted ones ran again


def test_cancelled_execution_in_a_shared_pool_is_not_recorded(make_task, tmp_path):
    """A sweep cancels its shared pool: each run stops, and no cancelled node counts as buggy."""
    task = make_task()
    (task / "public" / "hold").touch()
    run = Run.create(_config(task, tmp_path))
    with LocalPool(2, run.sandbox) as pool:
        errors: list[BaseException] = []

        def target() -> None:
            try:
                run.execute(pool=pool)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        wait_until(lambda: len(supervisors()) >= 2)
        pool.cancel_all()
        thread.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], RunCancelledError)
    assert all(n.status.in_flight for n in run.journal.nodes())


# --- Ray ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory):
    """One local Ray instance for the module (never an existing cluster); its workers keep
    their data and workdirs in a folder of the test session, not in the machine's /tmp."""
    ray = pytest.importorskip("ray")
    patch = pytest.MonkeyPatch()
    patch.setenv("AIRLAB_WORKER_ROOT", str(tmp_path_factory.mktemp("ray-worker")))
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    patch.undo()


@pytest.mark.slow
def test_ray_pool_runs_and_grades_in_the_driver(ray_instance, make_task, tmp_path):
    run = Run.create(_config(make_task(), tmp_path, pool="ray"))
    result = run.execute()
    nodes = run.journal.nodes()
    assert result.nodes == 4
    assert all(n.status == NodeStatus.GOOD and n.search_score is not None for n in nodes)
    assert all(n.worker and n.worker.startswith("ray:") for n in nodes)
    assert {n.sandbox for n in nodes} == {run.sandbox.name}
    # the candidates ran in Ray's worker processes, not in this one
    assert all(n.worker.rsplit(":", 1)[1] != str(psutil.Process().pid) for n in nodes)


@pytest.mark.parametrize("pool", ["local", pytest.param("ray", marks=pytest.mark.slow)])
def test_killed_worker_reruns_the_candidate(pool, request, make_task, tmp_path):
    """Local: a sandbox supervisor is killed. Ray: the Ray worker process running it is.

    The Ray pool ships a snapshot of public/ to its workers, so removing `hold` would not
    reach the candidates running there: on Ray they sleep instead."""
    task = make_task()
    fields: dict[str, object] = {"pool": pool, "budget": {"steps": 2}}
    if pool == "ray":
        request.getfixturevalue("ray_instance")
        fields["backend_options"] = {"sleep_s": 4}
    else:
        (task / "public" / "hold").touch()
    run = Run.create(_config(task, tmp_path, **fields))
    thread = threading.Thread(target=run.execute)
    thread.start()
    try:
        wait_until(lambda: len(supervisors()) == 2)
        victim = supervisors()[0]
        if pool == "ray":
            victim = victim.parent()
            assert victim.pid != psutil.Process().pid
        victim.kill()
        wait_until(lambda: sum(n.attempts for n in run.journal.nodes()) == 3)
    finally:
        (task / "public" / "hold").unlink(missing_ok=True)
        thread.join(timeout=120)
    nodes = run.journal.nodes()
    assert all(n.status == NodeStatus.GOOD for n in nodes)
    assert sorted(n.attempts for n in nodes) == [1, 2]


@pytest.mark.slow
def test_ray_pool_ships_a_copy_and_reports_a_missing_folder(ray_instance, tmp_path):
    """The worker reads the shipped copy, not the driver's folder; a folder that cannot be
    shipped is a failed execution, as on the local pool, not an exception out of submit."""
    from airlab.errors import SandboxError
    from airlab.runner import RayPool

    public = tmp_path / "public"
    public.mkdir()
    (public / "x.txt").write_text("shipped\n")
    script = "import shutil; shutil.copy('public/x.txt', 'submission.csv')\n"
    for name in ("w1", "w2", "w3"):
        (tmp_path / name).mkdir()
    with RayPool(2, get_sandbox("auto")) as pool:
        first = pool.submit(ExecutionRequest(script, tmp_path / "w1", public)).result(60)
        once = pool.shipped_bytes
        pool.submit(ExecutionRequest(script, tmp_path / "w1", public)).result(60)
        assert pool.shipped_bytes == once > 0  # the same content is not put again
        (public / "x.txt").write_text("changed\n")  # a new content: shipped again
        second = pool.submit(ExecutionRequest(script, tmp_path / "w2", public)).result(60)
        assert pool.shipped_bytes > once
        missing = pool.submit(ExecutionRequest(script, tmp_path / "w3", tmp_path / "none"))
        assert isinstance(missing.exception(timeout=10), SandboxError)
    assert (first.execution.submission, second.execution.submission) == (b"shipped\n", b"changed\n")
    assert first.data_fetched and second.data_fetched
    assert sorted(p.name for p in (tmp_path / "w1").iterdir()) == [
        "solution.py",
        "stderr.txt",
        "stdout.txt",
    ]


def test_ray_address_on_the_local_pool_is_refused(make_task, tmp_path):
    args = ["run", "-t", str(make_task()), "--runs-dir", str(tmp_path), "--ray-address", "auto"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "pool 'local': unknown option 'address'" in str(result.exception)
