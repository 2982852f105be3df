"""Look-up attacks on every bundled task: where a sandbox claims to hide files, no attack may
find a test row or score better than the task's honest baseline; where it does not, the attacks
must succeed, so that the claim (and the run header's warning) is neither false nor understated.

The attacks (`airlab.testing.lookup`): the package loaders through the task's own prepare.py,
airlab itself (its data home, its bundled prepare.py), and a search of every readable data file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sandbox_support import KINDS

from airlab.grading import Grader
from airlab.sandbox import Sandbox
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.tasks import Task, code_task_names, data_home, resolve_task
from airlab.tasks.provenance import hidden_data
from airlab.testing.lookup import AttackReport, attack_script, read_report

pytestmark = pytest.mark.slow

BUNDLED = sorted(code_task_names())  # data tasks only
LIMITS = ExecutionLimits(time_s=300, memory_mb=3072)


def run_attacks(
    sandbox: Sandbox, tasks: list[Task], attacks: tuple[str, ...], tmp_path: Path
) -> tuple[AttackReport, Path]:
    """One sandboxed run of `attacks` on `tasks`, hiding what the runner hides for them."""
    if len(tasks) == 1:
        public = tasks[0].public_dir
    else:
        public = tmp_path / "public"
        for task in tasks:
            shutil.copytree(task.public_dir, public / task.name)
    workdir = tmp_path / "work"
    request = ExecutionRequest(
        script=attack_script(tasks, attacks=attacks, host_data_home=data_home()),
        workdir=workdir,
        public_dir=public,
        limits=LIMITS,
        hidden_paths=(*{p for t in tasks for p in (t.root, t.private_dir)}, data_home()),
        hidden_data=tuple(dict.fromkeys(d for t in tasks for d in hidden_data(t.spec))),
    )
    execution = sandbox.run(request)
    assert execution.succeeded, execution.stderr_tail[-2000:]
    return read_report(execution.stdout_tail), workdir


def better(task: Task, score: float, than: float) -> bool:
    return score > than if task.spec.maximize else score < than


def attack_scores(task: Task, workdir: Path) -> dict[str, float | None]:
    """The test score of each attack's submission (None: not a valid submission)."""
    grader = Grader(task)
    scores = {}
    for attack in ("loader", "airlab"):
        grade = grader.grade((workdir / f"attack-{task.name}-{attack}.csv").read_bytes(), ("test",))
        scores[attack] = grade.scores["test"] if grade.valid else None
    return scores


@pytest.mark.parametrize("name", BUNDLED)
def test_package_and_airlab_lookups_beat_no_honest_model_where_files_are_hidden(
    name: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    if "file_hiding" not in sandbox.enforces():
        pytest.skip("hides nothing here: see the test that the look-ups then succeed")
    task = resolve_task(name)  # one run per task: its own declaration must be enough
    report, workdir = run_attacks(sandbox, [task], ("loader", "airlab"), tmp_path)
    assert report.matched == {f"{name}/loader": 0, f"{name}/airlab": 0}, report.errors
    # the data is hidden, not the package: the loader imports, then cannot read its file
    assert "Error" in report.errors[f"{name}/loader"]
    assert "ModuleNotFound" not in report.errors[f"{name}/loader"], report.errors
    assert task.spec.baseline is not None
    for attack, score in attack_scores(task, workdir).items():
        assert score is None or not better(task, score, task.spec.baseline.score), attack


def test_the_lookups_succeed_where_nothing_is_hidden(tmp_path: Path) -> None:
    """The attacks are real: under the bare process sandbox (the one the header warns about)
    each task's best look-up beats its reference solution."""
    sandbox = KINDS["process-bare"]()
    assert "file_hiding" not in sandbox.enforces()
    tasks = [resolve_task(name) for name in BUNDLED]
    report, workdir = run_attacks(sandbox, tasks, ("loader", "airlab"), tmp_path)
    for task in tasks:
        assert report.matched[f"{task.name}/loader"] > 0, report.errors
        assert report.matched[f"{task.name}/airlab"] > 0, report.errors
        assert task.spec.reference is not None
        scores = [s for s in attack_scores(task, workdir).values() if s is not None]
        assert any(better(task, s, task.spec.reference.score) for s in scores), task.name


def test_no_readable_file_holds_a_bundled_tasks_rows_where_files_are_hidden(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    tasks = [resolve_task(name) for name in BUNDLED]
    report, _ = run_attacks(sandbox, tasks, ("files",), tmp_path)
    tabular = [t.name for t in tasks if t.spec.time_column is None]
    found = {name: report.matched[f"{name}/files"] for name in tabular}
    if "file_hiding" in sandbox.enforces():
        assert not report.found_in and set(found.values()) == {0}, report.found_in
    else:  # the same search finds the packages' copies when nothing is hidden
        assert all(n > 0 for n in found.values()), (found, report.found_in)
