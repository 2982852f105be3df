"""The ask/tell `Search` driven by hand, as a notebook or an outside agent would: no threads, no
pool; the journal ends the same as under `Run`, and the final node is chosen the same way."""

from __future__ import annotations

import pytest

from airlab.backends import Candidate
from airlab.journal import NodeStatus
from airlab.runner import RunConfig, Search, Written

pytestmark = pytest.mark.slow

OWN_CODE = """import pandas as pd
train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
label = int(train["y"].mode()[0])
pd.DataFrame({"id": test["id"], "y": label}).to_csv("submission.csv", index=False)
"""


def _search(task, tmp_path, steps=4):
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "budget": {"steps": steps},
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 60},
        }
    )
    return Search.create(config)


def test_a_search_driven_by_hand(make_task, tmp_path):
    search = _search(make_task(), tmp_path)
    while (proposal := search.ask()) is not None:
        node = search.tell_written(search.write(proposal))
        if node.status != NodeStatus.QUEUED:
            continue
        execution = search.sandbox.run(search.start(node.id))
        finished = search.tell(search.tell_executed(node.id, execution))
        assert finished.status.finished
    assert search.stop_reason == "step budget reached (4)"
    result = search.finalize()
    assert result.nodes == 4 and result.final_node is not None
    assert result.scores.test is not None
    assert search.journal.get_meta("status") == "complete"


def test_an_outside_agent_tells_its_own_code(make_task, tmp_path):
    """The gym's case: the step comes from the policy, the code from somewhere else."""
    search = _search(make_task(), tmp_path, steps=1)
    proposal = search.ask()
    assert proposal is not None
    written = Written(proposal.node.id, Candidate("predict the majority label", OWN_CODE), 0.1)
    node = search.tell_written(written)
    assert node.status == NodeStatus.QUEUED and node.code == OWN_CODE
    graded = search.tell_executed(node.id, search.sandbox.run(search.start(node.id)))
    assert graded.changes["status"] == NodeStatus.GOOD
    assert search.tell(graded).search_score is not None
    assert search.ask() is None


def test_a_parent_copied_unchanged_is_not_run(make_task, tmp_path):
    search = _search(make_task(), tmp_path, steps=8)
    first = search.ask()
    assert first is not None
    node = search.tell_written(search.write(first))
    search.tell(search.tell_executed(node.id, search.sandbox.run(search.start(node.id))))
    child = search.journal.add("improve", (node.id,))
    copy = search.tell_written(Written(child.id, Candidate("same", node.code), 0.0))
    assert copy.status == NodeStatus.BUGGY and copy.failure == "unchanged"
    assert copy.attempts == 0  # never started
