"""Hostile candidates and the run-folder layout full of secrets they hunt for.

The layout mirrors what the runner passes a sandbox: a task with public data and private
answers, a run folder with its journal and another candidate's workdir, a data home; all of the
secret ones are `hidden_paths`, and each secret file holds a unique token the checks look for.
"""

from __future__ import annotations

import contextlib
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from airlab.sandbox.base import Execution, ExecutionLimits, ExecutionRequest, Sandbox

MARK_VAR = "AIRLAB_TEST_MARK"
"""Environment variable carrying a test's unique mark, so its processes can be found and killed."""
MIB = 1024 * 1024


@dataclass
class Layout:
    """Host folders of one test, as the runner would lay them out."""

    root: Path
    secret: str
    mark: str
    public: Path = field(init=False)
    private: Path = field(init=False)
    answers: Path = field(init=False)
    run: Path = field(init=False)
    journal: Path = field(init=False)
    sibling: Path = field(init=False)
    workdir: Path = field(init=False)
    data_home: Path = field(init=False)

    def __post_init__(self) -> None:
        task = self.root / "task"
        self.public = task / "public"
        self.private = task / "private"
        self.answers = self.private / "answers.csv"
        self.run = self.root / "run"
        self.journal = self.run / "journal.sqlite"
        self.sibling = self.run / "nodes" / "0006" / "notes.txt"
        self.workdir = self.run / "nodes" / "0007"
        self.data_home = self.root / "airlab-home"
        for folder in (self.public, self.private, self.sibling.parent, self.data_home):
            folder.mkdir(parents=True)
        (self.public / "train.csv").write_text("id,x,y\n1,0.5,1\n2,1.5,0\n3,2.5,1\n")
        (self.public / "test.csv").write_text("id,x\n10,0.1\n11,0.2\n")
        self.answers.write_text(f"id,y,split\n10,{self.secret},search\n11,0,test\n")
        self.journal.write_text(f"journal {self.secret}\n")
        self.sibling.write_text(f"another candidate's notes {self.secret}\n")
        (self.data_home / "key.txt").write_text(f"cached {self.secret}\n")

    @property
    def hidden(self) -> tuple[Path, ...]:
        return (self.private, self.run, self.data_home)

    def request(self, script: str, **limits: object) -> ExecutionRequest:
        """A request for `script` with short default limits and the test's marker in its env."""
        values: dict[str, object] = {"time_s": 10.0, "memory_mb": 1024}
        values.update(limits)
        return ExecutionRequest(
            script=script,
            workdir=self.workdir,
            public_dir=self.public,
            limits=ExecutionLimits(**values),  # type: ignore[arg-type]
            hidden_paths=self.hidden,
            env={MARK_VAR: self.mark},
        )

    def alive(self) -> list[psutil.Process]:
        """Live (non-zombie) processes carrying this test's marker in argv or environment, or
        working in its workdir (a warm sandbox's candidate is a fork: /proc shows the
        environment it was forked with, not the one it runs with)."""
        found = []
        workdir = str(self.workdir)
        for proc in psutil.process_iter(["cmdline", "status"]):
            try:
                if proc.info["status"] == psutil.STATUS_ZOMBIE:
                    continue
                if (
                    self.mark in (proc.info["cmdline"] or [])
                    or proc.environ().get(MARK_VAR) == self.mark
                    or proc.cwd() == workdir
                ):
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def kill_leftovers(self) -> None:
        for proc in self.alive():
            with contextlib.suppress(psutil.Error):
                proc.kill()


def script(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def sleeper(mark: str) -> str:
    """Python source of an argv list that starts a marked process sleeping for ten minutes."""
    return f"[sys.executable, '-c', 'import time; time.sleep(600)', {mark!r}]"


def escaping_tree(mark: str) -> str:
    """A candidate that starts a setsid'd child and a plain child (both marked), then sleeps."""
    return script(
        f"""
        import os, subprocess, sys, time
        if os.fork() == 0:
            os.setsid()
            os.execv(sys.executable, {sleeper(mark)})
        subprocess.Popen({sleeper(mark)})
        time.sleep(600)
        """
    )


def timed(sandbox: Sandbox, request: ExecutionRequest) -> tuple[Execution, float]:
    start = time.monotonic()
    result = sandbox.run(request)
    return result, time.monotonic() - start


HOG = "chunks = []\nfor i in range(2048):\n    chunks.append(b'x' * (1 << 20))\nprint('survived')\n"


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


def wait_until(condition: Callable[[], object], seconds: float = 20.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.05)
