"""`airlab --help`, `--version` and an option error start at once: they import none of the heavy
libraries the commands themselves use (a property of the import graph, checked from
`python -X importtime`, not a timing; benchmarks/cli_start.py measures the time)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import airlab

HEAVY = {"numpy", "pandas", "scipy", "sklearn", "matplotlib", "ray", "torch"}


def _imported(*args: str) -> tuple[int, set[str], str]:
    """Exit status, top-level packages `python -m airlab ARGS` imported, and its stdout."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "airlab", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done.returncode, names, done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["run", "--bogus"],
        ["run"],
        ["run", "--task", "digits", "--steps", "0"],
        ["run", "--task", "digits", "--time", "soon"],
        ["tasks", "--help"],
        ["task", "import", "--help"],
        ["sweep", "--seeds", "x", "-t", "digits"],
        ["resume", "/no/such/run"],
        ["rank", "--help"],
        ["report", "--help"],
        ["plans", "extract", "--help"],
        ["rubric", "discover", "--help"],
    ],
    ids=" ".join,
)
def test_help_version_and_option_errors_import_nothing_heavy(args):
    status, names, _ = _imported(*args)
    assert status in (0, 2)
    assert "airlab" in names  # the parse worked: the import log is read
    assert not names & HEAVY, sorted(names & HEAVY)


@pytest.mark.slow
def test_a_command_that_runs_does_import_them():
    """The check above can fail: a command that needs the task data imports pandas."""
    status, names, _ = _imported("tasks")
    assert status == 0 and "pandas" in names


def test_version():
    status, _, out = _imported("--version")
    assert status == 0 and out.strip() == f"airlab {airlab.__version__}"


@pytest.mark.parametrize(
    "args",
    [["--policy", "gredy"], ["-B", "bug_rate=high"], ["-O", "memroy=false"]],
    ids=" ".join,
)
def test_option_errors_found_in_the_registries_import_no_scikit_learn(args, make_task):
    """Checking a name against the plug-in registries imports the plug-ins (pandas with them),
    but no metric is computed: scikit-learn, about 0.7 s, waits until one is. (A task folder,
    whose loading needs pandas alone: a bundled task's first use would prepare its data.)"""
    status, names, _ = _imported("run", "--task", str(make_task()), *args)
    assert status == 2
    assert not names & (HEAVY - {"numpy", "pandas"}), sorted(names & HEAVY)
