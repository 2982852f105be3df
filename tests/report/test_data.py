"""Reports read a run typed: the journal's RunMeta, the recorded RunConfig, result.json's
RunResult; a configuration an older airlab recorded, which no longer validates, still loads."""

from __future__ import annotations

from airlab.journal import Journal
from airlab.journal.meta import RunMeta
from airlab.report import build_view, load_run
from airlab.runner.config import RunConfig


def test_a_run_is_read_as_typed_models(synthetic_run):
    run = load_run(synthetic_run)
    assert isinstance(run.meta, RunMeta) and isinstance(run.config, RunConfig)
    assert (run.config.seed, run.policy, run.agent) == (3, "greedy", "greedy/templates")
    assert run.status == "complete" and run.complete and run.elapsed_s == 60.0


def test_an_outdated_configuration_still_draws(make_synthetic_run, tmp_path):
    root = make_synthetic_run(tmp_path / "old")
    with Journal.open(root / "journal.sqlite") as journal:
        journal.set_meta(config={"task": "tiny", "policy": "greedy", "stpes": 3})
    run = load_run(root)
    assert run.config is None
    assert (run.task, run.policy, run.backend) == ("tiny", "?", "?")
    view = build_view(run)
    assert view["run"]["seed"] is None and view["run"]["status"] == "complete"
