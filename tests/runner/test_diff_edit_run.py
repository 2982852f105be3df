"""End to end, offline: a run with `edit_format=diff` writes the same scripts as with whole
scripts (the templates' blocks apply), and result.json counts its diff steps."""

import pytest

from airlab.runner import Run, RunConfig
from tiny_task import FORKED


def _run(task_root, tmp_path, edit_format):
    config = RunConfig.model_validate(
        {
            "task": str(task_root),
            "budget": {"steps": 5},
            "workers": 1,
            "runs_dir": str(tmp_path / edit_format),
            "policy_params": {"num_drafts": 1},
            "backend_options": {"bug_rate": 0.3},
            "operator_options": {"edit_format": edit_format},
            "limits": {"time_s": 60},
            "sandbox": FORKED,
        }
    )
    run = Run.create(config)
    return run.execute(), run.journal.nodes()


@pytest.mark.slow
def test_a_diff_run_writes_the_same_scripts_and_counts_its_patches(make_task, tmp_path):
    task_root = make_task()
    whole, whole_nodes = _run(task_root, tmp_path, "whole")
    diff, diff_nodes = _run(task_root, tmp_path, "diff")
    assert [n.code for n in diff_nodes] == [n.code for n in whole_nodes]
    steps = [n for n in diff_nodes if n.operator in ("improve", "debug")]
    assert steps and all(n.info.edit is not None for n in steps)
    assert diff.edits == {"applied": len(steps), "fell_back": 0, "whole_answer": 0}
    assert whole.edits == {} and all(n.info.edit is None for n in whole_nodes)
