"""The new policies drive real searches with two workers, and resume after an interruption.

Kept to a few candidates: the simulated runs of tests/policies/test_conformance.py cover each
policy's contract; these check the wiring through the runner (backend, operator set, step meta).
Greedy has its own end-to-end tests.
"""

import pytest

from airlab.journal import Journal
from airlab.policies import POLICY_META
from airlab.runner import Run, RunConfig, RunObserver
from tiny_task import FORKED

SMALL = {
    "mcts": {"num_children": 2},
    "evolutionary": {"num_drafts": 2, "individuals_per_generation": 1},
    "llm_first": {"num_drafts": 2},
}


def _config(task_root, tmp_path, policy, steps, operators="aide"):
    return RunConfig.model_validate(
        {
            "task": str(task_root),
            "policy": policy,
            "policy_params": SMALL[policy],
            "operators": operators,
            "budget": {"steps": steps},
            "workers": 2,
            "runs_dir": str(tmp_path / "runs"),
            "backend_options": {"bug_rate": 0.2},
            "limits": {"time_s": 60},
            "sandbox": FORKED,
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mcts", "llm_first"])
def test_policy_runs_a_search_with_two_workers(make_task, tmp_path, policy):
    operators = "extended"
    run = Run.create(_config(make_task(), tmp_path, policy, 4, operators))
    result = run.execute()
    nodes = run.journal.nodes()
    assert len(nodes) == 4 and all(n.status.finished for n in nodes)
    assert result.final_node is not None
    assert run.journal.get_meta("operator_set")["name"] == operators
    assert {n.operator for n in nodes} <= set(run.search.operators)


class _KillAfter(RunObserver):
    """Interrupts the run, as Ctrl-C or a dying session would, after `count` finished nodes."""

    def __init__(self, count):
        self.count = count
        self.finished = 0

    def on_finished(self, run, node):
        self.finished += 1
        if self.finished == self.count:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_evolutionary_resumes_with_the_same_islands(make_task, tmp_path):
    run = Run.create(_config(make_task(), tmp_path, "evolutionary", 6, "extended"))
    with pytest.raises(KeyboardInterrupt):
        run.execute(_KillAfter(3))
    root = run.folder.root
    with Journal.open(root / "journal.sqlite") as journal:
        before = {n.id: n for n in journal.nodes() if n.status.finished}
    resumed = Run.resume(root)
    result = resumed.execute()
    after = {n.id: n for n in resumed.journal.nodes()}
    assert result.nodes == 6 and all(n.status.finished for n in after.values())
    for node_id, node in before.items():
        assert after[node_id].model_dump(exclude={"test_score"}) == node.model_dump(
            exclude={"test_score"}
        )
    for node in after.values():  # every node has an island, children on their parent's
        island = node.meta[POLICY_META]["island"]
        if node.operator in ("improve", "debug"):
            assert island == after[node.parent_ids[0]].meta[POLICY_META]["island"]
