"""Every bundled task passes `task check`: answers hidden, splits sound, baseline reproduced."""

import pytest

from airlab.curation import check_task
from airlab.sandbox import get_sandbox
from airlab.tasks import TASKS, code_task_names, resolve_task


def test_the_code_tasks_are_those_with_a_baseline_script():
    """What a benchmark's `--tasks all` runs: every task a script can solve (they ship a
    baseline.py), none of the plans or revisions (graded by rubric, no training table)."""
    code = code_task_names()
    assert len(code) >= 12
    for name in TASKS.names():
        assert (name in code) == (TASKS.get(name) / "baseline.py").is_file(), name


@pytest.mark.slow
@pytest.mark.parametrize("name", code_task_names())
def test_bundled_task_passes_task_check(name):
    report = check_task(resolve_task(name))
    assert report.ok, report.problems
    if "file_hiding" in get_sandbox("auto").enforces():
        assert "answers unreachable" in " ".join(report.notes)
    assert set(report.baseline_scores) == {"search", "select", "test"}
