"""What only the warm sandbox has: a zygote per environment, forks that behave like a fresh
interpreter, results equal to a cold start, and zygotes that go away (the shared contract runs
against it in test_sandbox_conformance.py, kind "warm")."""

from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path

import psutil
import pytest
from sandbox_support import kill_mid_run, started_warm_sandbox

from airlab.sandbox import ProcessSandbox, warm
from airlab.sandbox.supervised import ADDRESS_SPACE_SLACK_MB
from airlab.sandbox.warm import WarmProcessSandbox
from airlab.testing.hostile import MIB, Layout, script, wait_until


def _zygotes(sandbox: WarmProcessSandbox) -> list[psutil.Process]:
    """Its live zygotes, as this process's children running zygote.py."""
    found = [psutil.Process(pid) for pid in sandbox.zygote_pids()]
    assert all(
        proc.ppid() == os.getpid() and any(part.endswith("zygote.py") for part in proc.cmdline())
        for proc in found
    )
    return found


@pytest.fixture
def sandbox() -> WarmProcessSandbox:
    return started_warm_sandbox()


FITTED = script(
    """
    import sys
    import numpy as np, pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x[:150], y[:150])
    pd.DataFrame({"id": range(50), "y": model.predict_proba(x[150:])[:, 1]}).to_csv(
        "submission.csv", index=False)
    print("argv", sys.argv, "file", __file__.rsplit("/", 1)[-1], "main", __name__)
    print("path", sys.path)
    """
)


def test_a_warm_run_equals_a_cold_one(sandbox: WarmProcessSandbox, layout: Layout) -> None:
    warm = sandbox.run(layout.request(FITTED, time_s=60))
    cold = ProcessSandbox().run(layout.request(FITTED, time_s=60))
    assert warm.succeeded and cold.succeeded, (warm.stderr_tail, cold.stderr_tail)
    assert warm.submission == cold.submission
    assert warm.stdout_tail == cold.stdout_tail
    assert "argv ['solution.py'] file solution.py main __main__" in warm.stdout_tail


def test_exit_statuses_and_errors_as_python_gives_them(
    sandbox: WarmProcessSandbox, layout: Layout
) -> None:
    cases = {
        "raise SystemExit(3)": 3,
        "import sys; sys.exit('bad input')": 1,
        "1 / 0": 1,
        "import atexit; atexit.register(lambda: print('bye'))": 0,
    }
    for code, status in cases.items():
        result = sandbox.run(layout.request(code))
        assert result.exit_code == status, code
    trace = sandbox.run(layout.request("1 / 0")).stderr_tail
    assert "ZeroDivisionError" in trace and "zygote" not in trace  # it starts in the script
    assert (
        "bad input" in sandbox.run(layout.request("import sys; sys.exit('bad input')")).stderr_tail
    )
    assert "bye" in sandbox.run(layout.request(list(cases)[-1])).stdout_tail


def test_each_fork_is_a_fresh_interpreter(sandbox: WarmProcessSandbox, layout: Layout) -> None:
    """Global random state differs per run (as it would per new process); the environment
    and temporary folder are the execution's own; a root candidate holds no capability."""
    code = script(
        """
        import os, random, tempfile, numpy as np
        caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("Cap")]
        print(np.random.rand(), random.random(), os.environ["HOME"], tempfile.gettempdir(), caps)
        """
    )
    first, second = (sandbox.run(layout.request(code)) for _ in range(2))
    assert first.succeeded, first.stderr_tail
    a, b = first.stdout_tail.split(), second.stdout_tail.split()
    assert a[0] != b[0] and a[1] != b[1]
    assert a[2] == str(layout.workdir) and a[3].startswith(str(layout.workdir))
    if os.geteuid() == 0:
        assert set("".join(a[4:]).replace("'", "").strip("[]").split(",")) == {"0000000000000000"}


def test_a_zygote_per_environment_and_none_after_close(
    sandbox: WarmProcessSandbox, layout: Layout
) -> None:
    """A request that changes a thread count gets a zygote started with it (libraries read it
    as they are imported); its own extra variables do not need one."""
    code = "import os; print(os.environ['OMP_NUM_THREADS'], os.environ.get('EXTRA'))"
    plain = sandbox.run(layout.request(code))
    extra = dataclasses.replace(layout.request(code), env={"EXTRA": "1"})
    threads = dataclasses.replace(layout.request(code), env={"OMP_NUM_THREADS": "3"})
    assert sandbox.run(extra).stdout_tail.split() == ["1", "1"]
    assert len(_zygotes(sandbox)) == 1
    assert sandbox.run(threads).stdout_tail.split() == ["3", "None"]
    assert plain.stdout_tail.split() == ["1", "None"]
    pids = [proc.pid for proc in _zygotes(sandbox)]
    assert len(pids) == 2
    sandbox.close()
    assert _zygotes(sandbox) == [] and not any(psutil.pid_exists(pid) for pid in pids)
    assert sandbox.run(layout.request(code)).succeeded  # and it starts again when asked


def test_a_dead_zygote_is_replaced(sandbox: WarmProcessSandbox, layout: Layout) -> None:
    (zygote,) = _zygotes(sandbox)
    zygote.send_signal(signal.SIGKILL)
    zygote.wait(5)
    result = sandbox.run(layout.request("print('again')"))
    assert result.succeeded and "again" in result.stdout_tail
    assert len(_zygotes(sandbox)) == 1


def test_a_zygote_that_read_hidden_data_never_serves_that_request(
    layout: Layout, tmp_path: Path
) -> None:
    """A preloaded module that reads a file as it is imported puts the file's contents in every
    fork's memory: an execution whose request hides that file starts cold."""
    package = tmp_path / "site" / "leaky"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"ROWS = open({str(layout.answers)!r}).read()  # a package loading its data on import\n"
    )
    (package / "clean.py").write_text("")
    sandbox = WarmProcessSandbox(preload=("leaky",))
    code = "import sys; print('leaky' in sys.modules)"
    env = {"PYTHONPATH": str(package.parent)}
    hidden = sandbox.run(dataclasses.replace(layout.request(code), env=env))
    assert hidden.succeeded, hidden.stderr_tail
    assert hidden.stdout_tail.strip() == "False" and sandbox.cold_starts == 1
    seen = dataclasses.replace(layout.request(code), env=env, hidden_paths=(layout.run,))
    assert sandbox.run(seen).stdout_tail.strip() == "True"  # its answers are not hidden here
    assert sandbox.cold_starts == 1
    sandbox.close()


def test_the_default_imports_read_no_bundled_tasks_data(layout: Layout) -> None:
    from airlab.tasks import resolve_task
    from airlab.tasks.provenance import hidden_data

    sandbox = started_warm_sandbox()
    for name in ("digits", "diabetes", "breast-cancer"):
        data = hidden_data(resolve_task(name).spec)
        request = dataclasses.replace(layout.request("pass"), hidden_data=data)
        assert sandbox.run(request).succeeded
    assert sandbox.cold_starts == 0
    sandbox.close()


def test_a_zygote_dying_mid_run_is_a_lost_worker(
    sandbox: WarmProcessSandbox, layout: Layout
) -> None:
    """Its supervisors get SIGTERM as it dies and kill their trees: the worker's failure, not
    the candidate's (the pool runs the candidate again)."""

    def the_zygote() -> list[psutil.Process]:
        (zygote,) = _zygotes(sandbox)
        return [zygote]

    kill_mid_run(sandbox, layout, the_zygote, match="zygote died")
    wait_until(lambda: layout.alive() == [], seconds=5)


def test_a_zygote_that_cannot_start_means_cold_starts(
    layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interpreter the zygote cannot run on (too old, say) still runs its candidates."""
    broken = tmp_path / "zygote.py"
    broken.write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(warm, "ZYGOTE", broken)
    sandbox = WarmProcessSandbox()
    for _ in range(2):
        result = sandbox.run(layout.request("print('ran')"))
        assert result.succeeded and "ran" in result.stdout_tail
    assert sandbox.cold_starts == 2
    assert _zygotes(sandbox) == []


def test_the_address_space_limit_makes_room_for_the_preloaded_modules(
    sandbox: WarmProcessSandbox, layout: Layout
) -> None:
    """A fork starts with the zygote's mappings (hundreds of MB of libraries): its address-space
    limit is the cold one plus those, not the cold one minus them."""
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    result = sandbox.run(layout.request(code, memory_mb=1024))
    assert result.succeeded, result.stderr_tail
    (zygote,) = sandbox._zygotes.values()
    assert zygote.address_space > 100 * MIB
    assert int(result.stdout_tail) == (1024 + ADDRESS_SPACE_SLACK_MB) * MIB + zygote.address_space
