"""The view of a plan run: the plan as text, and per-item verdicts (hidden splits: final only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab.report import build_view, load_run
from airlab.runner import Run, RunConfig

PLAN_TASK = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"


@pytest.fixture(scope="module")
def plan_view(tmp_path_factory):
    runs = tmp_path_factory.mktemp("plan-runs")
    config = RunConfig.model_validate(
        {"task": str(PLAN_TASK), "runs_dir": str(runs), "budget": {"steps": 5}}
    )
    run = Run.create(config)
    result = run.execute()
    return build_view(load_run(run.folder.root)), result


def test_plan_nodes_show_their_text_and_search_verdicts(plan_view):
    view, result = plan_view
    nodes = {n["id"]: n for n in view["nodes"]}
    for node in nodes.values():
        assert node["is_text"] and node["code_html"].startswith("# Research plan")
        assert "<span" not in node["code_html"]  # text, not highlighted Python
        splits = {v["split"] for v in node["verdicts"]}
        if node["id"] == result.final_node:
            assert splits == {"search", "select", "test"}
        else:
            assert splits == {"search"}
        assert all(v["text"] and 0.0 <= v["value"] <= 1.0 for v in node["verdicts"])
        assert "rubric" not in node["meta"] and "rubric_test" not in node["meta"]
