"""The contract every sandbox must keep, tested with real hostile scripts.

A sandbox claims guarantees in `enforces()` (names from `airlab.sandbox.GUARANTEES`). A check of
a claimed guarantee must pass; a check of one that is not claimed is strictly expected to fail
(xfail strict), so a claim can be neither false nor understated. Where an unclaimed guarantee
would let the hostile script hurt the host (an endless loop, a 2 GB allocation, a signal to the
test runner), the check is skipped instead, unless the subclass sets `run_unclaimed_unsafe`.
Checks with no guarantee (a normal script, exit codes, the clean environment, the files left in
the workdir, output caps, cancellation, concurrent runs) always apply.

    class TestMySandbox(SandboxSuite):
        @pytest.fixture
        def sandbox(self):
            return MySandbox()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from airlab.sandbox.base import GUARANTEES, Sandbox
from airlab.sandbox.disk import usage_bytes
from airlab.testing.hostile import (
    HOG,
    MARK_VAR,
    MIB,
    Layout,
    assert_secret_not_leaked,
    escaping_tree,
    hunter,
    script,
    sleeper,
    timed,
    wait_until,
)

Claim = Callable[[str], None]
UNSAFE_UNCLAIMED = frozenset({"time", "tree_kill", "memory", "disk", "signal_isolation"})
"""Guarantees whose check, on a sandbox that lacks them, would hang or harm the host."""


class SandboxSuite:
    """Subclass it and provide the `sandbox` fixture (a fresh sandbox per test)."""

    run_unclaimed_unsafe: bool = False
    """Run (as strict xfails) the checks of unclaimed guarantees that could hurt the host: for
    sandboxes known to stay bounded anyway (the built-ins run everything under a supervisor)."""

    @pytest.fixture
    def sandbox(self) -> Sandbox:
        raise NotImplementedError("a SandboxSuite subclass provides the sandbox fixture")

    @pytest.fixture
    def layout(self, tmp_path: Path) -> Iterator[Layout]:
        token = uuid.uuid4().hex
        lay = Layout(tmp_path, secret=f"SECRET{token}", mark=f"airlab-mark-{token}")
        yield lay
        lay.kill_leftovers()

    @pytest.fixture
    def claim(self, sandbox: Sandbox, request: pytest.FixtureRequest) -> Claim:
        """`claim("file_hiding")`: the check must pass where the sandbox claims the guarantee,
        and must fail (strict xfail) where it does not."""

        def expect(guarantee: str) -> None:
            assert guarantee in GUARANTEES, guarantee
            if guarantee in sandbox.enforces():
                return
            reason = f"{sandbox.name} does not claim {guarantee!r} here: {GUARANTEES[guarantee]}"
            if guarantee in UNSAFE_UNCLAIMED and not self.run_unclaimed_unsafe:
                pytest.skip(reason)
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

        return expect

    def test_normal_script_succeeds(self, sandbox: Sandbox, layout: Layout) -> None:
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
        assert result.succeeded, f"a script reading public/train.csv failed: {result.stderr_tail}"
        assert result.failure is None, f"a working script has failure {result.failure!r}"
        assert result.exit_code == 0, f"a working script has exit_code {result.exit_code}"
        assert result.submission == b"id,y\n10,1\n11,0\n", (
            "Execution.submission must hold the bytes of the submission.csv the script wrote"
        )
        assert "rows 3" in result.stdout_tail, "stdout_tail lacks what the script printed"
        assert result.peak_memory_mb > 0, "peak_memory_mb must measure the candidate's memory"
        assert 0 < result.duration_s <= elapsed, (
            f"duration_s {result.duration_s} is not within the {elapsed:.2f} s run() took"
        )
        assert result.sandbox == sandbox.name, "Execution.sandbox must name the sandbox"
        assert "rows 3" in (layout.workdir / "stdout.txt").read_text(), (
            "the full stdout must be kept in the workdir's stdout.txt"
        )
        assert (layout.workdir / "solution.py").read_text() == code, (
            "the script must be kept as solution.py in the workdir"
        )

    def test_error_exit_and_stderr_tail(self, sandbox: Sandbox, layout: Layout) -> None:
        code = "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n"
        result = sandbox.run(layout.request(code))
        assert result.exit_code == 3, f"sys.exit(3) gave exit_code {result.exit_code}"
        assert result.failure == "error", f"an exit code 3 is failure {result.failure!r}, not error"
        assert "boom" in result.stderr_tail, "stderr_tail lacks what the script wrote to stderr"
        assert result.submission is None, "a script that wrote no submission has one"

    def test_stale_submission_is_not_reused(self, sandbox: Sandbox, layout: Layout) -> None:
        layout.workdir.mkdir(parents=True)
        (layout.workdir / "submission.csv").write_text("id,y\n1,1\n")
        result = sandbox.run(layout.request("pass"))
        assert result.exit_code == 0, result.stderr_tail
        assert result.submission is None, (
            "a submission.csv left in the workdir by an earlier run was taken as this run's"
        )
        assert result.failure == "no_submission", (
            f"a run that wrote no submission has failure {result.failure!r}, not no_submission"
        )

    def test_environment_is_clean(
        self, sandbox: Sandbox, layout: Layout, monkeypatch: pytest.MonkeyPatch
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
        assert key not in out, "the host's API key reached the candidate"
        assert "OPENAI_API_KEY" not in out, "the host's OPENAI_API_KEY reached the candidate"
        env = dict(
            line.split("=", 1) for line in out.splitlines() if "=" in line and " " not in line
        )
        cwd = out.split("CWD ", 1)[1].splitlines()[0]
        assert env.get("HOME") == cwd, f"HOME is {env.get('HOME')!r}, not the workdir {cwd!r}"
        for name in (
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "LOKY_MAX_CPU_COUNT",
        ):
            assert env.get(name) == "2", f"{name} is {env.get(name)!r}, not the CPU limit '2'"
        for name, value in (
            ("PYTHONHASHSEED", "0"),
            ("PYTHONUNBUFFERED", "1"),
            ("MPLBACKEND", "Agg"),
        ):
            assert env.get(name) == value, f"{name} is {env.get(name)!r}, not {value!r}"
        assert env.get(MARK_VAR) == layout.mark, "the request's own env did not get through"

    def test_output_is_capped(self, sandbox: Sandbox, layout: Layout) -> None:
        code = "import sys\nfor i in range(90_000):\n    print(f'line {i:07d} ' + 'x' * 40)\n"
        result = sandbox.run(layout.request(code, output_bytes=1000))
        assert result.succeeded, result.stderr_tail
        assert len(result.stdout_tail.encode()) == 1000, (
            f"stdout_tail is {len(result.stdout_tail.encode())} bytes, not limits.output_bytes 1000"
        )
        assert result.stdout_tail.rstrip().endswith("line 0089999 " + "x" * 40), (
            "stdout_tail must be the end of the output, not its start"
        )
        assert (layout.workdir / "stdout.txt").read_bytes().startswith(b"line 0000000"), (
            "stdout.txt must keep the start of the output"
        )

    def test_submission_symlink_is_refused(self, sandbox: Sandbox, layout: Layout) -> None:
        code = script(
            f"""
            import os
            os.symlink({str(layout.answers)!r}, "submission.csv")
            """
        )
        result = sandbox.run(layout.request(code))
        assert result.submission is None, (
            "a symlinked submission.csv was read (it may point anywhere)"
        )
        assert layout.secret not in result.stderr_tail, "the symlink's target leaked into stderr"
        assert "submission.csv ignored" in result.stderr_tail, (
            "stderr_tail must say 'submission.csv ignored' when a symlink is refused"
        )

    def test_concurrent_runs_from_threads(self, sandbox: Sandbox, layout: Layout) -> None:
        def one(i: int) -> tuple[int, object]:
            request = layout.request(
                f"print({i})\nopen('submission.csv', 'w').write('id\\n{i}\\n')\n"
            )
            workdir = layout.run / "nodes" / f"10{i:02d}"
            request = type(request)(**{**request.__dict__, "workdir": workdir})
            return i, sandbox.run(request)

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(one, range(6)))
        for i, result in results:
            assert result.succeeded, result.stderr_tail  # type: ignore[attr-defined]
            assert result.submission == f"id\n{i}\n".encode(), (  # type: ignore[attr-defined]
                f"concurrent run {i} got another run's submission"
            )
            assert result.stdout_tail.strip() == str(i), (  # type: ignore[attr-defined]
                f"concurrent run {i} got another run's stdout"
            )

    def test_cancel_all_kills_every_running_tree(self, sandbox: Sandbox, layout: Layout) -> None:
        code = escaping_tree(layout.mark)
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(sandbox.run, layout.request(code, time_s=60))
            wait_until(lambda: len(layout.alive()) >= 3)
            stopped = sandbox.cancel_all()
            assert stopped == 1, f"cancel_all() must return the runs it stopped (1), got {stopped}"
            result = future.result(timeout=30)
        assert result.cancelled, "a run stopped by cancel_all() is not marked cancelled"
        assert result.failure == "cancelled", f"a cancelled run has failure {result.failure!r}"
        assert not result.succeeded, "a cancelled run counts as succeeded"
        assert "cancelled" in result.stderr_tail, "stderr_tail must say the run was cancelled"
        assert layout.alive() == [], "cancel_all() left processes of the candidate's tree alive"
        # nothing left running; later runs are not affected
        assert sandbox.cancel_all() == 0, "a second cancel_all() found runs still going"
        assert sandbox.run(layout.request("print('after')\n")).exit_code == 0, (
            "the sandbox cannot run again after cancel_all()"
        )

    def test_infinite_loop_times_out(self, sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
        claim("time")
        result, elapsed = timed(sandbox, layout.request("while True:\n    pass\n", time_s=1.5))
        assert result.timed_out, "an endless loop under a 1.5 s limit is not marked timed_out"
        assert result.failure == "timeout", f"a timed-out run has failure {result.failure!r}"
        assert result.exit_code is None, "a killed run has no exit code (None)"
        assert 1.4 < elapsed < 1.5 + 1.5, (
            f"a 1.5 s time limit stopped the run after {elapsed:.1f} s"
        )
        assert "wall-clock limit" in result.stderr_tail, (
            "stderr_tail must name the wall-clock limit"
        )

    def test_forked_sleeper_dies_at_timeout(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
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

    def test_setsid_daemon_dies_when_main_exits(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
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

    @pytest.fixture
    def decoy(self, layout: Layout) -> Iterator[subprocess.Popen[bytes]]:
        """An unrelated process on the host, with an API key in its environment."""
        env = {"PATH": "/usr/bin:/bin", "DECOY_KEY": layout.secret}
        proc = subprocess.Popen(["sleep", "600"], env=env)
        yield proc
        proc.kill()
        proc.wait()

    def test_cannot_signal_outside_processes(
        self, sandbox: Sandbox, layout: Layout, decoy: subprocess.Popen[bytes], claim: Claim
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

    def test_memory_hog_with_address_space_limit(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
        claim("memory")
        result, elapsed = timed(sandbox, layout.request(HOG, memory_mb=256, time_s=20))
        assert result.memory_exceeded or "MemoryError" in result.stderr_tail
        assert "survived" not in result.stdout_tail
        assert not result.succeeded
        assert elapsed < 8

    def test_memory_hog_without_address_space_limit(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
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

    def test_memory_hog_in_a_child_process(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
        claim("memory")
        code = (
            f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {HOG!r}], check=True)\n"
        )
        request = layout.request(code, memory_mb=256, time_s=20, limit_address_space=False)
        result, elapsed = timed(sandbox, request)
        assert result.memory_exceeded, result.stderr_tail
        assert elapsed < 8

    def test_fork_bomb_is_contained(self, sandbox: Sandbox, layout: Layout) -> None:
        if "processes" not in sandbox.enforces():
            pytest.skip(
                f"{sandbox.name} caps no process count here; a fork bomb would hurt the host"
            )
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

    def test_disk_quota(self, sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
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

    def test_hidden_files_unreadable(self, sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
        claim("file_hiding")
        result = sandbox.run(layout.request(hunter(layout), time_s=20))
        assert result.exit_code == 0, result.stderr_tail
        assert_secret_not_leaked(layout, result)

    def test_hidden_path_inside_public_is_masked(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
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
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
        if not os.path.exists("/etc/shadow"):
            pytest.skip("no /etc/shadow here")
        claim("file_hiding")
        code = "try:\n    open('/etc/shadow').read()\n    print('SHADOW READ')\n"
        code += "except OSError:\n    pass\n"
        result = sandbox.run(layout.request(code))
        assert result.exit_code == 0, result.stderr_tail
        assert "SHADOW READ" not in result.stdout_tail

    def test_public_inside_a_hidden_data_home(
        self, sandbox: Sandbox, layout: Layout, claim: Claim
    ) -> None:
        """Bundled tasks live in the data home, hidden as a whole: public/ must still work."""
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
        self, sandbox: Sandbox, layout: Layout, decoy: subprocess.Popen[bytes], claim: Claim
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
    def outside_targets(self, layout: Layout) -> Iterator[dict[str, Path]]:
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
        self, sandbox: Sandbox, layout: Layout, outside_targets: dict[str, Path], claim: Claim
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

    @pytest.fixture
    def tcp_server(self) -> Iterator[tuple[int, list[object]]]:
        server = socket.create_server(("127.0.0.1", 0))
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
        self, sandbox: Sandbox, layout: Layout, tcp_server: tuple[int, list[object]], claim: Claim
    ) -> None:
        claim("network_tcp")
        port, accepted = tcp_server
        addresses = [("127.0.0.1", port)]  # the listener is on loopback only
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

    def test_no_udp(self, sandbox: Sandbox, layout: Layout, claim: Claim) -> None:
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

    def test_signal_numbers_are_reported_negative(self, sandbox: Sandbox, layout: Layout) -> None:
        code = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
        result = sandbox.run(layout.request(code))
        assert result.exit_code == -signal.SIGSEGV
        assert not result.timed_out and not result.memory_exceeded

    def test_workdir_is_left_clean(self, sandbox: Sandbox, layout: Layout) -> None:
        result = sandbox.run(layout.request("open('out.txt', 'w').write('kept')\n"))
        assert result.succeeded
        names = sorted(p.name for p in layout.workdir.iterdir())
        assert names == ["out.txt", "solution.py", "stderr.txt", "stdout.txt"]
        assert os.access(layout.workdir / "out.txt", os.R_OK)
