"""End to end: a real search on a tiny task, through the real sandbox and grader."""

import itertools

import pytest

from airlab.journal import Journal, NodeStatus
from airlab.result import RunResult
from airlab.runner import Run, RunConfig, RunObserver


class Recorder(RunObserver):
    def __init__(self):
        self.events = []

    def on_proposed(self, run, node):
        self.events.append(("proposed", node.id))

    def on_finished(self, run, node):
        self.events.append(("finished", node.id))


def _config(task_root, tmp_path, **fields):
    data = {
        "task": str(task_root),
        "budget": {"steps": 6},
        "workers": 2,
        "runs_dir": str(tmp_path / "runs"),
        "policy_params": {"num_drafts": 3},
        "backend_options": {"bug_rate": 0.3},
        "limits": {"time_s": 60},
        **fields,
    }
    return RunConfig.model_validate(data)


@pytest.mark.slow
def test_search_runs_to_budget_and_reports(make_task, tmp_path):
    recorder = Recorder()
    run = Run.create(_config(make_task(), tmp_path))
    result = run.execute(recorder)

    nodes = run.journal.nodes()
    assert len(nodes) == 6
    assert all(n.status.finished for n in nodes)
    assert [n.operator for n in nodes[:3]] == ["draft"] * 3
    assert any(n.is_good for n in nodes)
    assert result.status == "complete"
    assert result.nodes == 6
    assert result.final_node is not None
    final = run.journal.get(result.final_node)
    assert final.test_score == result.scores.test
    # test is scored for the final node only
    assert sum(n.test_score is not None for n in nodes) == 1
    assert all(
        n.search_score is not None and n.select_score is not None for n in nodes if n.is_good
    )
    assert len(result.draft_families) == 3

    root = run.folder.root
    assert RunResult.model_validate_json((root / "result.json").read_text()) == result
    assert (root / "config.yaml").is_file()
    assert (root / "best" / "solution.py").read_text() == final.code
    for node in nodes:
        folder = root / "nodes" / f"{node.id:04d}"
        assert (folder / "solution.py").read_text() == node.code
        assert (folder / "stdout.txt").is_file()
    # every node was proposed before it finished, and both workers were used
    assert recorder.events.index(("proposed", 5)) < recorder.events.index(("finished", 5))
    assert {n.worker for n in nodes if n.worker} == {"worker-1", "worker-2"}


@pytest.mark.slow
def test_workers_run_candidates_concurrently(make_task, tmp_path):
    run = Run.create(
        _config(make_task(), tmp_path, backend_options={"bug_rate": 0.0}, budget={"steps": 4})
    )
    run.execute()
    spans = sorted((n.started_at, n.finished_at) for n in run.journal.nodes())
    overlaps = sum(1 for (_, end), (start, _) in itertools.pairwise(spans) if start < end)
    assert overlaps >= 1


@pytest.mark.slow
def test_time_budget_stops_the_search(make_task, tmp_path):
    config = _config(make_task(), tmp_path, budget={"steps": None, "time_s": 4})
    run = Run.create(config)
    result = run.execute()
    assert "time budget" in result.stop_reason
    # at most one candidate's limit past the budget
    assert result.elapsed_s <= 4 + 60 + 5
    statuses = [(n.status, n.failure, n.error) for n in run.journal.nodes()]
    assert all(
        s in (NodeStatus.GOOD, NodeStatus.BUGGY, NodeStatus.CANCELLED) for s, _, _ in statuses
    ), statuses


@pytest.mark.slow
def test_complete_run_resumes_to_the_same_result(make_task, tmp_path):
    run = Run.create(_config(make_task(), tmp_path, budget={"steps": 3}))
    result = run.execute()
    again = Run.resume(run.folder.root)
    assert again.complete
    assert again.execute() == result
    with Journal.open(run.folder.journal) as journal:
        assert len(journal) == 3
