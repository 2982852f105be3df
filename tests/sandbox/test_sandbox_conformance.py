"""Conformance suite: real hostile scripts, run against every sandbox available here.

Each test either must pass (the sandbox claims the guarantee in `enforces()`) or is strictly
expected to fail (`claim` marks it xfail(strict=True) where the claim is not made).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from sandbox_support import KIND_SOURCE, MARK_VAR, Layout

from airlab.errors import WorkerLostError
from airlab.sandbox import Sandbox
from airlab.sandbox.cgroups import PREFIX, cgroup_support
from airlab.sandbox.disk import usage_bytes

Claim = Callable[[str], None]
MIB = 1024 * 1024


def script(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def sleeper(mark: str) -> str:
    """Python source of an argv list that starts a marked process sleeping for ten minutes."""
    return f"[sys.executable, '-c', 'import time; time.sleep(600)', {mark!r}]"


def timed(sandbox: Sandbox, request: object) -> tuple[object, float]:
    start = time.monotonic()
    result = sandbox.run(request)  # type: ignore[arg-type]
    return result, time.monotonic() - start


# --- a normal candidate -------------------------------------------------------------------------


def test_normal_script_succeeds(sandbox: Sandbox, layout: Layout) -> None:
    code = script(
        """
        import csv
        rows = list(csv.DictReader(open("public/train.csv")))
        print("rows", len(rows))
        with open("submission.csv", "w") as out:
            out.write("id,y\\n10,1\\n11,0\\n")
        """
    )
    result, elapsed = timed(sandbox, layout.request(code))
    assert result.succeeded, result.stderr_tail
    assert result.failure is None
    assert result.exit_code == 0
    assert result.submission == b"id,y\n10,1\n11,0\n"
    assert "rows 3" in result.stdout_tail
    assert result.peak_memory_mb > 0
    assert 0 < result.duration_s <= elapsed
    assert result.sandbox == sandbox.name
    assert "rows 3" in (layout.workdir / "stdout.txt").read_text()
    assert (layout.workdir / "solution.py").read_text() == code


def test_error_exit_and_stderr_tail(sandbox: Sandbox, layout: Layout) -> None:
    code = "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n"
    result = sandbox.run(layout.request(code))
    assert result.exit_code == 3
    assert result.failure == "error"
    assert "boom" in result.stderr_tail
    assert result.submission is None


def test_stale_submission_is_not_reused(sandbox: Sandbox, layout: Layout) -> None:
    layout.workdir.mkdir(parents=True)
    (layout.workdir / "submission.csv").write_text("id,y\n1,1\n")
    result = sandbox.run(layout.request("pass"))
    assert result.exit_code == 0
    assert result.submission is None
    assert result.failure == "no_submission"


def test_environment_is_clean(
    sandbox: Sandbox, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    code = script(
        """
        import os
        for name, value in sorted(os.environ.items()):
            print(f"{name}={value}")
        print("CWD", os.getcwd())
        print("SELF", open("/proc/self/environ", "rb").read())
        """
    )
    result = sandbox.run(layout.request(code, cpus=2))
    assert result.succeeded, result.stderr_tail
    out = result.stdout_tail
    assert key not in out
    assert "OPENAI_API_KEY" not in out
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line and " " not in line)
    cwd = out.split("CWD ", 1)[1].splitlines()[0]
    assert env["HOME"] == cwd
    for name in (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "LOKY_MAX_CPU_COUNT",
    ):
        assert env[name] == "2"
    assert env["PYTHONHASHSEED"] == "0"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["MPLBACKEND"] == "Agg"
    assert env[MARK_VAR] == layout.mark  # the request's own env does get through


def test_output_is_capped(sandbox: Sandbox, layout: Layout) -> None:
    code = "import sys\nfor i in range(90_000):\n    print(f'line {i:07d} ' + 'x' * 40)\n"
    result = sandbox.run(layout.request(code, output_bytes=1000))
    assert result.succeeded, result.stderr_tail
    assert len(result.stdout_tail.encode()) == 1000
    assert result.stdout_tail.rstrip().endswith("line 0089999 " + "x" * 40)
    log = (layout.workdir / "stdout.txt").read_bytes()
    assert log.startswith(b"line 0000000")
    assert 4 * MIB < len(log) < 4 * MIB + 2000
    assert b"omitted" in log


def test_submission_symlink_is_refused(sandbox: Sandbox, layout: Layout) -> None:
    code = script(
        f"""
        import os
        os.symlink({str(layout.answers)!r}, "submission.csv")
        """
    )
    result = sandbox.run(layout.request(code))
    assert result.submission is None
    assert layout.secret not in result.stderr_tail
    assert "submission.csv ignored" in result.stderr_tail


def test_concurrent_runs_from_threads(sandbox: Sandbox, layout: Layout) -> None:
    def one(i: int) -> tuple[int, object]:
        request = layout.request(f"print({i})\nopen('submission.csv', 'w').write('id\\n{i}\\n')\n")
        workdir = layout.run / "nodes" / f"10{i:02d}"
        request = type(request)(**{**request.__dict__, "workdir": workdir})
        return i, sandbox.run(request)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(6)))
    for i, result in results:
        assert result.succeeded, result.stderr_tail  # type: ignore[attr-defined]
        assert result.submission == f"id\n{i}\n".encode()  # type: ignore[attr-defined]
        assert result.stdout_tail.strip() == str(i)  # type: ignore[attr-defined]


def _supervisors() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process().children()
        if any(part.endswith("supervisor.py") for part in child.cmdline())
    ]


def _wait_until(condition: Callable[[], object], seconds: float = 20.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.05)


def test_cancel_all_kills_every_running_tree(sandbox: Sandbox, layout: Layout) -> None:
    code = script(
        f"""
        import os, subprocess, sys, time
        if os.fork() == 0:
            os.setsid()
            os.execv(sys.executable, {sleeper(layout.mark)})
        subprocess.Popen({sleeper(layout.mark)})
        time.sleep(600)
        """
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(sandbox.run, layout.request(code, time_s=60))
        _wait_until(lambda: len(layout.alive()) >= 3)
        assert sandbox.cancel_all() == 1
        result = future.result(timeout=30)
    assert result.cancelled
    assert result.failure == "cancelled"
    assert not result.succeeded
    assert "cancelled" in result.stderr_tail
    assert layout.alive() == []
    assert sandbox.cancel_all() == 0  # nothing left running; later runs are not affected
    assert sandbox.run(layout.request("print('after')\n")).exit_code == 0


def test_killed_supervisor_is_a_lost_worker(kind: str, sandbox: Sandbox, layout: Layout) -> None:
    """A supervisor killed from outside is the worker's failure, not the candidate's. Its tree
    dies with it where a PID namespace or a cgroup holds the tree (a bare process sandbox has
    lost track of the orphans once their subreaper is gone)."""
    code = script(
        f"""
        import subprocess, sys, time
        subprocess.Popen({sleeper(layout.mark)})
        time.sleep(600)
        """
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(sandbox.run, layout.request(code, time_s=60))
        _wait_until(lambda: len(layout.alive()) >= 2)
        for supervisor in _supervisors():
            supervisor.kill()
        with pytest.raises(WorkerLostError):
            future.result(timeout=30)
    if kind == "bwrap" or (cgroup_support().available and kind != "process-bare"):
        _wait_until(lambda: layout.alive() == [], seconds=5)


# --- time and the process tree -------------------------------------------------------------------


def test_infinite_loop_times_out(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("time")
    result, elapsed = timed(sandbox, layout.request("while True:\n    pass\n", time_s=1.5))
    assert result.timed_out
    assert result.failure == "timeout"
    assert result.exit_code is None
    assert 1.4 < elapsed < 1.5 + 1.5
    assert "wall-clock limit" in result.stderr_tail


def test_forked_sleeper_dies_at_timeout(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("tree_kill")
    code = script(
        f"""
        import subprocess, sys, time
        subprocess.Popen({sleeper(layout.mark)})
        print("started", flush=True)
        time.sleep(600)
        """
    )
    result, elapsed = timed(sandbox, layout.request(code, time_s=1.5))
    assert result.timed_out
    assert "started" in result.stdout_tail
    assert elapsed < 3.0
    assert layout.alive() == []


def test_setsid_daemon_dies_when_main_exits(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("tree_kill")
    code = script(
        f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, {sleeper(layout.mark)})
            os._exit(0)
        time.sleep(0.3)
        print("daemon started", flush=True)
        """
    )
    result, elapsed = timed(sandbox, layout.request(code, time_s=10))
    assert result.exit_code == 0, result.stderr_tail
    assert not result.timed_out
    assert elapsed < 5
    assert layout.alive() == []


def test_tree_dies_with_the_runner(
    kind: str, sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    """The process running the sandbox is SIGKILLed mid-run: the candidate's tree must die too."""
    claim("tree_kill")
    code = script(
        f"""
        import os, subprocess, sys, time
        if os.fork() == 0:
            os.setsid()
            os.execv(sys.executable, {sleeper(layout.mark)})
        subprocess.Popen({sleeper(layout.mark)})
        time.sleep(600)
        """
    )
    runner = script(
        f"""
        from pathlib import Path
        from airlab.sandbox import BwrapSandbox, ExecutionLimits, ExecutionRequest, ProcessSandbox
        sandbox = {KIND_SOURCE[kind]}
        sandbox.run(ExecutionRequest(
            script={code!r}, workdir=Path({str(layout.workdir)!r}),
            public_dir=Path({str(layout.public)!r}), limits=ExecutionLimits(time_s=60),
            hidden_paths=(Path({str(layout.run)!r}),), env={{{MARK_VAR!r}: {layout.mark!r}}}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", runner])
    try:
        give_up = time.monotonic() + 20
        while len(layout.alive()) < 3 and time.monotonic() < give_up:
            time.sleep(0.05)
        assert len(layout.alive()) >= 3, "the candidate never started"
    finally:
        proc.kill()
        proc.wait()
    give_up = time.monotonic() + 3
    while (layout.alive() or leftover_cgroups(proc.pid)) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert layout.alive() == []
    assert leftover_cgroups(proc.pid) == []


def leftover_cgroups(owner: int) -> list[Path]:
    """cgroups an airlab process with pid `owner` created and did not remove."""
    support = cgroup_support()
    return [
        entry for parent in support.parents.values() for entry in parent.glob(f"{PREFIX}{owner}-*")
    ]


@pytest.fixture
def decoy(layout: Layout) -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process on the host, with an API key in its environment."""
    env = {"PATH": "/usr/bin:/bin", "DECOY_KEY": layout.secret}
    proc = subprocess.Popen(["sleep", "600"], env=env)
    yield proc
    proc.kill()
    proc.wait()


def test_cannot_signal_outside_processes(
    sandbox: Sandbox, layout: Layout, decoy: subprocess.Popen[bytes], claim: Claim
) -> None:
    claim("signal_isolation")
    code = script(
        f"""
        import os, signal, subprocess, sys, time
        subprocess.Popen({sleeper(layout.mark)})
        time.sleep(0.2)
        for pid in ({decoy.pid}, os.getppid()):
            try:
                os.kill(pid, signal.SIGKILL)
                print("killed", pid, flush=True)
            except OSError as exc:
                print("refused", pid, exc, flush=True)
        time.sleep(0.5)
        """
    )
    result = sandbox.run(layout.request(code, time_s=10))
    assert decoy.poll() is None, "the candidate killed a process outside its sandbox"
    assert result.exit_code == 0, result.stderr_tail
    assert layout.alive() == []


# --- memory --------------------------------------------------------------------------------------

HOG = "chunks = []\nfor i in range(2048):\n    chunks.append(b'x' * (1 << 20))\nprint('survived')\n"


def test_memory_hog_with_address_space_limit(
    sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    claim("memory")
    result, elapsed = timed(sandbox, layout.request(HOG, memory_mb=256, time_s=20))
    assert result.memory_exceeded or "MemoryError" in result.stderr_tail
    assert "survived" not in result.stdout_tail
    assert not result.succeeded
    assert elapsed < 8


def test_memory_hog_without_address_space_limit(
    sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    """No RLIMIT_AS: the cgroup or, without one, the RSS watchdog alone must catch it."""
    claim("memory")
    request = layout.request(HOG, memory_mb=256, time_s=20, limit_address_space=False)
    result, elapsed = timed(sandbox, request)
    assert result.memory_exceeded, result.stderr_tail
    assert result.failure == "memory"
    assert "survived" not in result.stdout_tail
    assert result.peak_memory_mb > 100
    assert elapsed < 8


def test_memory_hog_in_a_child_process(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("memory")
    code = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {HOG!r}], check=True)\n"
    request = layout.request(code, memory_mb=256, time_s=20, limit_address_space=False)
    result, elapsed = timed(sandbox, request)
    assert result.memory_exceeded, result.stderr_tail
    assert elapsed < 8


# --- processes and disk --------------------------------------------------------------------------


def test_fork_bomb_is_contained(sandbox: Sandbox, layout: Layout) -> None:
    if "processes" not in sandbox.enforces():
        pytest.skip(f"{sandbox.name} caps no process count here; a fork bomb would hurt the host")
    code = script(
        """
        import os, time
        count = 0
        try:
            for _ in range(10_000):
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                count += 1
        except OSError as exc:
            print("stopped:", type(exc).__name__)
        print("forked", count, flush=True)
        """
    )
    result, elapsed = timed(sandbox, layout.request(code, max_processes=64, time_s=20))
    assert "stopped:" in result.stdout_tail, result.stderr_tail
    forked = int(result.stdout_tail.split("forked ")[1].split()[0])
    assert forked < 64
    assert elapsed < 10
    assert layout.alive() == []


def test_disk_quota(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("disk")
    code = script(
        """
        import os
        os.makedirs("junk", exist_ok=True)
        block = b"\\1" * (1 << 20)
        for i in range(2048):
            with open(f"junk/{i}.bin", "wb") as out:
                out.write(block)
        print("wrote 2 GB")
        """
    )
    result, elapsed = timed(sandbox, layout.request(code, disk_mb=32, time_s=30))
    assert result.disk_exceeded, result.stderr_tail
    assert result.failure == "disk"
    assert not result.timed_out
    assert "wrote 2 GB" not in result.stdout_tail
    assert elapsed < 10
    assert usage_bytes(layout.workdir) < 32 * MIB
    assert not (layout.workdir / "junk").exists()
    assert (layout.workdir / "solution.py").exists()


def test_one_huge_file_is_stopped_by_the_kernel(sandbox: Sandbox, layout: Layout) -> None:
    code = script(
        """
        try:
            with open("big.bin", "wb") as out:
                out.write(b"\\1" * (64 << 20))
        except OSError as exc:
            print("refused:", exc.errno)
        """
    )
    result = sandbox.run(layout.request(code, disk_mb=16))
    assert "refused: 27" in result.stdout_tail  # EFBIG, from RLIMIT_FSIZE
    assert usage_bytes(layout.workdir) <= 17 * MIB


# --- files ---------------------------------------------------------------------------------------


def hunter(layout: Layout) -> str:
    """A script that tries every way we could think of to read the secrets, and prints them."""
    absolute = [layout.answers, layout.journal, layout.sibling, layout.data_home / "key.txt"]
    return script(
        f"""
        import os, time
        ABSOLUTE = {[str(p) for p in absolute]!r}
        NAMES = {{"answers.csv", "journal.sqlite", "notes.txt", "key.txt"}}
        found = []
        def grab(path):
            try:
                with open(path, errors="replace") as handle:
                    found.append((path, handle.read()))
            except OSError:
                pass
        guesses = list(ABSOLUTE)
        guesses += [os.path.join(*[".."] * up, *tail) for up in range(1, 6) for tail in (
            ("private", "answers.csv"), ("task", "private", "answers.csv"),
            ("0006", "notes.txt"), ("journal.sqlite",), ("nodes", "0006", "notes.txt"),
            ("run", "journal.sqlite"), ("airlab-home", "key.txt"))]
        guesses += ["public/../../private/answers.csv", "public/../private/answers.csv",
                    "/proc/self/cwd/../0006/notes.txt", "/proc/self/cwd/../../journal.sqlite"]
        try:
            pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
        except OSError:
            pids = [str(pid) for pid in range(1, 70000)]
        for pid in pids:
            if os.path.isdir("/proc/" + pid):
                guesses += ["/proc/" + pid + "/root" + p for p in ABSOLUTE]
                guesses += ["/proc/" + pid + "/cwd/../0006/notes.txt"]
        for path in guesses:
            grab(path)
        here = os.getcwd()
        for _ in range(8):
            here = os.path.dirname(here)
            try:
                for entry in os.listdir(here):
                    grab(os.path.join(here, entry))
            except OSError:
                pass
        deadline = time.monotonic() + 1.5
        for top, dirs, files in os.walk("/"):
            if top.startswith(("/proc", "/sys", "/dev")) or time.monotonic() > deadline:
                dirs[:] = []
                continue
            for name in files:
                if name in NAMES:
                    grab(os.path.join(top, name))
        for path, text in found:
            print("READ", path, text[:200])
        """
    )


def assert_secret_not_leaked(layout: Layout, result: object) -> None:
    for text in (result.stdout_tail, result.stderr_tail):  # type: ignore[attr-defined]
        assert layout.secret not in text
    assert layout.secret.encode() not in (result.submission or b"")  # type: ignore[attr-defined]
    for path in layout.workdir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert layout.secret.encode() not in path.read_bytes(), path


def test_hidden_files_unreadable(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("file_hiding")
    result = sandbox.run(layout.request(hunter(layout), time_s=20))
    assert result.exit_code == 0, result.stderr_tail
    assert_secret_not_leaked(layout, result)


def test_hidden_path_inside_public_is_masked(
    sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    claim("file_hiding")
    inner = layout.public / "extra"
    inner.mkdir()
    (inner / "leak.csv").write_text(f"id,y\n1,{layout.secret}\n")
    request = layout.request(
        # Listing public/ itself may be refused (Landlock cannot allow a directory but not one
        # of its entries); reading the other files must work.
        "print(open('public/train.csv').read())\n"
        "try:\n    print(open('public/extra/leak.csv').read())\n"
        "except OSError as e:\n    print(e)\n"
    )
    request = type(request)(**{**request.__dict__, "hidden_paths": (*layout.hidden, inner)})
    result = sandbox.run(request)
    assert result.exit_code == 0, result.stderr_tail
    assert "1,0.5,1" in result.stdout_tail  # the rest of public/ is still readable
    assert layout.secret not in result.stdout_tail


def test_host_secrets_in_system_dirs_are_hidden(
    sandbox: Sandbox, layout: Layout, claim: Claim
) -> None:
    if not os.path.exists("/etc/shadow"):
        pytest.skip("no /etc/shadow here")
    claim("file_hiding")
    code = "try:\n    open('/etc/shadow').read()\n    print('SHADOW READ')\n"
    code += "except OSError:\n    pass\n"
    result = sandbox.run(layout.request(code))
    assert result.exit_code == 0, result.stderr_tail
    assert "SHADOW READ" not in result.stdout_tail


def test_public_inside_a_hidden_data_home(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    """Bundled tasks live in the data home, which is hidden as a whole: public/ must still work."""
    claim("file_hiding")
    task = layout.data_home / "tasks" / "digits"
    (task / "private").mkdir(parents=True)
    (task / "private" / "answers.csv").write_text(f"id,y\n1,{layout.secret}\n")
    (task / "public").mkdir()
    (task / "public" / "train.csv").write_text("id,x\n1,2\n")
    request = layout.request(hunter(layout) + "print(open('public/train.csv').read())\n")
    request = type(request)(**{**request.__dict__, "public_dir": task / "public"})
    result = sandbox.run(request)
    assert result.exit_code == 0, result.stderr_tail
    assert "id,x\n1,2" in result.stdout_tail
    assert_secret_not_leaked(layout, result)


def test_environ_of_other_processes_unreadable(
    sandbox: Sandbox, layout: Layout, decoy: subprocess.Popen[bytes], claim: Claim
) -> None:
    claim("environ_isolation")
    code = script(
        """
        import os
        try:
            pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
        except OSError:  # cannot list: guess every pid
            pids = range(1, 70000)
        for pid in pids:
            try:
                print(pid, open(f"/proc/{pid}/environ", "rb").read())
            except OSError:
                pass
        """
    )
    result = sandbox.run(layout.request(code))
    assert result.exit_code == 0, result.stderr_tail
    assert layout.secret not in result.stdout_tail


@pytest.fixture
def outside_targets(layout: Layout) -> Iterator[dict[str, Path]]:
    token = uuid.uuid4().hex
    targets = {
        "host_tmp": Path("/tmp") / f"airlab-escape-{token}",
        "home": Path.home() / f"airlab-escape-{token}",
        "public_new": layout.public / "new.csv",
        "journal": layout.journal,
        "train": layout.public / "train.csv",
    }
    yield targets
    for key in ("host_tmp", "home", "public_new"):
        targets[key].unlink(missing_ok=True)


def test_writes_outside_workdir_fail(
    sandbox: Sandbox, layout: Layout, outside_targets: dict[str, Path], claim: Claim
) -> None:
    claim("read_only")
    before = {k: p.read_bytes() for k, p in outside_targets.items() if p.exists()}
    paths = [str(p) for p in outside_targets.values()]
    code = script(
        f"""
        import os
        for path in {paths!r} + ["public/train.csv", "public/new2.csv"]:
            try:
                with open(path, "a") as out:
                    out.write("PWNED")
                print("wrote", path)
            except OSError as exc:
                print("refused", path, exc)
        for path in ("public/test.csv", {str(layout.sibling)!r}):
            try:
                os.remove(path)
                print("removed", path)
            except OSError as exc:
                print("refused", path, exc)
        """
    )
    result = sandbox.run(layout.request(code))
    assert result.exit_code == 0, result.stderr_tail
    after = {k: p.read_bytes() for k, p in outside_targets.items() if p.exists()}
    assert after == before
    assert not (layout.public / "new2.csv").exists()
    assert (layout.public / "test.csv").exists()
    assert layout.sibling.exists()


# --- network -------------------------------------------------------------------------------------


def own_outside_address() -> str | None:
    """An address of this machine on a real (non-loopback) interface, if it has one.

    Connecting to it stands for "an outside address" without sending a packet off the machine:
    a sandbox that leaks the network reaches the test's own listener there.
    """
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return str(address.address)
    return None


@pytest.fixture
def tcp_server() -> Iterator[tuple[int, list[object]]]:
    server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_no_tcp(
    sandbox: Sandbox, layout: Layout, tcp_server: tuple[int, list[object]], claim: Claim
) -> None:
    claim("network_tcp")
    port, accepted = tcp_server
    addresses = [("127.0.0.1", port)]
    outside = own_outside_address()
    if outside is not None:
        addresses.append((outside, port))
    code = script(
        f"""
        import socket
        for address in {addresses!r}:
            try:
                socket.create_connection(address, timeout=0.5).close()
                print("CONNECTED", address)
            except OSError as exc:
                print("failed", address, exc)
        """
    )
    result = sandbox.run(layout.request(code))
    assert result.exit_code == 0, result.stderr_tail
    assert "CONNECTED" not in result.stdout_tail
    assert accepted == []


def test_no_udp(sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
    claim("network")
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.3)
    port = receiver.getsockname()[1]
    code = script(
        f"""
        import socket
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            try:
                sender.sendto(b"hello from the sandbox", ("127.0.0.1", {port}))
            except OSError as exc:
                print("failed", exc)
        """
    )
    try:
        result = sandbox.run(layout.request(code))
        assert result.exit_code == 0, result.stderr_tail
        with pytest.raises(TimeoutError):
            receiver.recvfrom(100)
    finally:
        receiver.close()


def test_signal_numbers_are_reported_negative(sandbox: Sandbox, layout: Layout) -> None:
    code = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
    result = sandbox.run(layout.request(code))
    assert result.exit_code == -signal.SIGSEGV
    assert not result.timed_out and not result.memory_exceeded


def test_workdir_is_left_clean(sandbox: Sandbox, layout: Layout) -> None:
    result = sandbox.run(layout.request("open('out.txt', 'w').write('kept')\n"))
    assert result.succeeded
    names = sorted(p.name for p in layout.workdir.iterdir())
    assert names == ["out.txt", "solution.py", "stderr.txt", "stdout.txt"]
    assert os.access(layout.workdir / "out.txt", os.R_OK)
