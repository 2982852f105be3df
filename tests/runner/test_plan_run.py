"""Plan tasks through the ordinary run: offline with each policy, with a model writer and judge
on a fake server (no rubric item ever reaches the writer), and with a judge that answers
garbage (recorded failures, never a score)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from airlab.journal import Journal
from airlab.journal.tree import RUBRIC_META, RUBRIC_TEST_META, agent_view
from airlab.plans.llm_judge import SYSTEM as JUDGE_SYSTEM
from airlab.runner import Run, RunConfig
from airlab.tasks.task import load_task
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request

PLAN_TASK = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"
FAST = {"retry_base_s": 0.01, "retry_max_s": 0.02, "max_retries": 1, "timeout_s": 20}
_ITEM = re.compile(r"^- \[(?P<id>[\d.]+)\] ", re.MULTILINE)


def config(tmp_path: Path, **fields) -> RunConfig:
    return RunConfig.model_validate(
        {"task": str(PLAN_TASK), "runs_dir": str(tmp_path / "runs"), **fields}
    )


@pytest.mark.parametrize("policy", ["greedy", "mcts", "evolutionary"])
def test_offline_plan_run_with_each_policy(tmp_path, policy):
    run = Run.create(config(tmp_path, policy=policy, budget={"steps": 10}))
    result = run.execute()
    assert result.valid_submission and result.metric == "rubric"
    assert result.scores.test is not None and 0 <= result.scores.test <= 1
    # the offline search climbs: later plans satisfy more search items than the first draft
    assert result.best_search_score > result.first_draft_search_score
    assert (run.folder.best / "plan.md").read_text().startswith("# Research plan")
    final = run.journal.get(result.final_node)
    split = load_task(PLAN_TASK).item_split
    assert [v["item_id"] for v in final.meta[RUBRIC_META]["search"]] == split.search
    assert [v["item_id"] for v in final.meta[RUBRIC_TEST_META]["test"]] == split.test
    # what an agent may see of it: search verdicts without the items' sentences, nothing else
    seen = agent_view(final)
    assert set(seen.meta[RUBRIC_META]) == {"search"} and RUBRIC_TEST_META not in seen.meta
    assert all("text" not in v for v in seen.meta[RUBRIC_META]["search"])


def plan_answer(request: Request) -> Reply:
    """A writer that answers every step with a plan, and a judge that decides every item it is
    asked (satisfied when the plan mentions seeds), as JSON."""
    prompt = request.prompt
    if "Reply with the single word OK" in prompt:
        return Reply(text="OK", tokens_in=5, tokens_out=1)
    if JUDGE_SYSTEM in prompt:
        ids = _ITEM.findall(request.last_user)
        verdicts = [
            {"id": i, "satisfied": n % 2 == 0, "justification": f"checked {i}"}
            for n, i in enumerate(ids)
        ]
        return Reply(text=json.dumps({"verdicts": verdicts}), tokens_in=700, tokens_out=90)
    step = len(request.body.get("messages", []))
    return Reply(text=f"# Plan {step}\n\nWe train with several seeds and compare baselines.\n")


@pytest.mark.slow
def test_no_rubric_item_reaches_the_writer(tmp_path):
    rubric_items = [leaf.text for leaf in load_task(PLAN_TASK).rubric.leaves()]
    with FakeLLMServer(plan_answer) as server:
        run = Run.create(
            config(
                tmp_path,
                backend=f"openai-compatible/writer@{server.openai_url}",
                backend_options=FAST,
                budget={"steps": 4},
                policy_params={"num_drafts": 2},
                operators="extended",
                operator_options={"critique": True},
            )
        )
        result = run.execute()
        requests = list(server.requests)
    assert result.valid_submission
    judged = [r for r in requests if JUDGE_SYSTEM in r.prompt]
    written = [r for r in requests if JUDGE_SYSTEM not in r.prompt]
    assert judged and written
    for request in written:  # every request but the judge's: drafts, improves, critiques
        for item in rubric_items:
            assert item not in request.prompt
    # improve prompts carry the judge's feedback on search items only
    improves = [r for r in written if "Your step: improve" in r.prompt]
    assert improves and "checks met" in improves[0].prompt
    select_ids = set(load_task(PLAN_TASK).item_split.select)
    assert not any(f"checked {i}" in r.prompt for r in improves for i in select_ids)
    purposes = {call.purpose for call in run.search.ledger.calls()}
    assert {"judge", "draft", "improve", "critique"} <= purposes
    assert result.spend_by_purpose["judge"].calls == len(judged)


@pytest.mark.slow
def test_a_judge_that_answers_garbage_is_a_recorded_failure(tmp_path):
    def garbage_judge(request: Request) -> Reply:
        if JUDGE_SYSTEM in request.prompt:
            return Reply(text="Looks great to me!")
        return plan_answer(request)

    with FakeLLMServer(garbage_judge) as server:
        run = Run.create(
            config(
                tmp_path,
                backend=f"openai-compatible/writer@{server.openai_url}",
                backend_options=FAST,
                budget={"steps": 2},
                judge={"retries": 1},
                preflight=False,
            )
        )
        result = run.execute()
    assert not result.valid_submission
    nodes = Journal.open(run.folder.journal, read_only=True).nodes()
    assert nodes and all(n.status == "buggy" for n in nodes)
    for node in nodes:
        verdicts = node.meta[RUBRIC_META]["search"] + node.meta[RUBRIC_META]["select"]
        assert all(v["value"] is None and v["failure"] == "malformed" for v in verdicts)
        assert node.meta["judge_failures"] == len(verdicts)
        assert node.search_score is None


@pytest.mark.slow
def test_a_jury_on_its_own_server_is_metered_as_judge_calls(tmp_path):
    with FakeLLMServer(plan_answer) as writer, FakeLLMServer(plan_answer) as judges:
        run = Run.create(
            config(
                tmp_path,
                backend=f"openai-compatible/writer@{writer.openai_url}",
                backend_options=FAST,
                budget={"steps": 2},
                preflight=False,
                judge={
                    "models": [
                        f"openai-compatible/judge-a@{judges.openai_url}",
                        f"openai-compatible/judge-b@{judges.openai_url}",
                    ],
                    "rule": "majority",
                },
            )
        )
        result = run.execute()
        written, judged = list(writer.requests), list(judges.requests)
    assert result.valid_submission
    assert not any(JUDGE_SYSTEM in r.prompt for r in written)
    assert judged and all(JUDGE_SYSTEM in r.prompt for r in judged)
    assert {r.body["model"] for r in judged} == {"judge-a", "judge-b"}
    assert result.spend_by_purpose["judge"].calls == len(judged)
    assert (run.folder.root / "judge_calls.jsonl").is_file()
