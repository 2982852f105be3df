"""Every bundled task passes `task check`: answers hidden, splits sound, baseline reproduced."""

import pytest

from airlab.curation import check_task
from airlab.sandbox import get_sandbox
from airlab.tasks import TASKS, resolve_task


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [n for n in TASKS.names() if not n.startswith("plan-")],  # plan tasks: no baseline.py
)
def test_bundled_task_passes_task_check(name):
    report = check_task(resolve_task(name))
    assert report.ok, report.problems
    if "file_hiding" in get_sandbox("auto").enforces():
        assert "answers unreachable" in " ".join(report.notes)
    assert set(report.baseline_scores) == {"search", "select", "test"}
