"""`selection.ensemble`: a real search ends with a SoCE node that the final choice weighs on
select like any other node, and only the final node is scored on test."""

import pytest

from airlab.journal import NodeStatus
from airlab.runner import Run, RunConfig
from tiny_task import FORKED


@pytest.mark.slow
def test_run_ends_with_an_ensemble_node(make_task, tmp_path):
    config = RunConfig.model_validate(
        {
            "task": str(make_task()),
            "budget": {"steps": 4},
            "runs_dir": str(tmp_path / "runs"),
            "policy_params": {"num_drafts": 4},
            "limits": {"time_s": 60},
            "sandbox": FORKED,
            "selection": {"ensemble": True},
        }
    )
    run = Run.create(config)
    result = run.execute()
    nodes = run.journal.nodes()
    ensembles = [n for n in nodes if n.operator == "ensemble"]
    good = {n.id for n in nodes if n.is_good and n.operator != "ensemble"}
    assert len(good) >= 2, "the templates backend wrote fewer than two working drafts"
    assert len(ensembles) == 1
    node = ensembles[0]
    assert node.status == NodeStatus.GOOD and set(node.parent_ids) <= good
    assert node.search_score is not None and node.select_score is not None
    assert run.journal.get_meta("ensemble") == f"node {node.id}"
    assert sum(n.test_score is not None for n in nodes) == 1
    assert result.final_node is not None and result.nodes == 5
