"""Whole greedy searches on digits written by an 'LLM' over HTTP, through the real SDK clients,
and the replay of one of them with no server at all."""

from __future__ import annotations

import json

import pytest

from airlab.errors import ReplayMismatchError
from airlab.journal import NodeStatus
from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply
from tiny_task import FORKED

from .scripted_agent import scripted_agent

pytestmark = pytest.mark.slow

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05, "timeout_s": 20}
GREEDY = {"num_drafts": 2, "debug_prob": 1.0}


def _config(runs, backend, options, **fields):
    data = {
        "task": "digits",
        "backend": backend,
        "backend_options": options,
        "budget": {"steps": 4},
        "policy_params": GREEDY,
        "workers": 1,
        "runs_dir": str(runs),
        "limits": {"time_s": 60},
        "sandbox": FORKED,
        "preflight": False,  # these searches script their first answers exactly,
        "lookahead": False,  # and their order of steps
        **fields,
    }
    return RunConfig.model_validate(data)


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer(scripted_agent) as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_run(server, tmp_path_factory):
    """One search through `openai-compatible`, starting with a rate limit, a garbled body and an
    answer cut off by the token limit."""
    root = tmp_path_factory.mktemp("openai")
    prices = root / "prices.yaml"
    prices.write_text("qwen-coder: {input: 1.0, output: 2.0}\n")
    server.push(
        Reply(status=429, headers={"retry-after": "0"}),
        Reply(raw_body=b"<html>bad gateway</html>"),
        Reply(
            text="Plan.\n```python\nimport pandas as pd\ntrain = pd.read_csv(",
            tokens_out=8192,
            finish_reason="length",
        ),
    )
    options = {**FAST, "prices": str(prices), "temperature": 0.2}
    config = _config(root / "runs", f"openai-compatible/qwen-coder@{server.openai_url}", options)
    run = Run.create(config)
    result = run.execute()
    requests = list(server.requests)
    server.requests.clear()
    return run, result, requests


def test_search_completes_with_llm_candidates(openai_run):
    run, result, _ = openai_run
    nodes = run.journal.nodes()
    assert [n.operator for n in nodes] == ["draft", "draft", "debug", "improve"]
    assert all(n.status.finished for n in nodes)
    assert nodes[1].status == NodeStatus.BUGGY and nodes[1].failure == "error"
    assert nodes[2].parent_ids == (1,) and nodes[2].is_good
    best = max(nodes[:3], key=lambda n: n.search_score or 0)
    assert nodes[3].parent_ids == (best.id,) and nodes[3].is_good
    assert result.valid_submission and result.scores.test > 0.85
    assert [n.meta["family"] for n in nodes[:2]] == ["random_forest", "knn"]
    assert result.draft_families == ["random_forest", "knn"]
    assert all(n.meta.get("analysis") for n in nodes)
    assert all(n.self_reported_score is not None for n in nodes if n.is_good)


def test_tokens_and_cost_are_on_nodes_and_in_the_result(openai_run):
    run, result, requests = openai_run
    nodes = run.journal.nodes()
    # every node: its candidate and its analysis; the first draft also needed a reminder
    assert [n.meta["llm_calls"] for n in nodes] == [3, 2, 2, 2]
    assert result.llm_calls == 9 == len(requests) - 2  # two retried failures
    assert result.tokens_in == sum(n.tokens_in for n in nodes) > 0
    assert result.tokens_out == sum(n.tokens_out for n in nodes) == 8192 + 8 * 50
    expected_cost = (result.tokens_in * 1.0 + result.tokens_out * 2.0) / 1e6
    assert result.cost_usd == pytest.approx(expected_cost)
    assert nodes[0].cost_usd > 0


def test_prompts_carry_task_data_limits_memory_and_errors(openai_run):
    _, _, requests = openai_run
    prompts = [r.last_user for r in requests]
    draft = prompts[2]
    assert "Metric: `accuracy` (higher is better)" in draft
    assert "`train.csv`: 898 rows" in draft and "`label`: int64, range [0, 9]" in draft
    assert "Time: 60 s" in draft and "memory: 2048 MB" in draft
    assert "self_reported_score" in draft and "submission.csv" in draft
    assert requests[2].body["temperature"] == 0.2
    reminder = requests[3].body["messages"]
    assert reminder[-1]["content"].startswith("Your answer was cut off")
    second_draft = next(p for p in prompts if "Approaches already drafted" in p)
    assert "Approaches already drafted in this search: random_forest." in second_draft
    debug = next(p for p in prompts if "# Your step: fix a failed solution" in p)
    assert "featurez" in debug and "NameError" in debug
    assert "Earlier attempts in this search" not in debug
    improve = next(p for p in prompts if "# Your step: improve" in p)
    assert "3 attempts so far; best score" in improve
    assert "Analysis of that run: The script ran" in improve


def test_recorded_calls_hold_no_secret(openai_run):
    run, _, _ = openai_run
    lines = (run.folder.root / "llm_calls.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 9
    assert {r["purpose"] for r in records} == {
        "draft",
        "draft-reminder",
        "analysis",
        "debug",
        "improve",
    }
    assert "sk-" not in "".join(lines) and "authorization" not in "".join(lines).lower()


def test_replay_reproduces_the_journal_offline(openai_run, server, tmp_path):
    run, result, _ = openai_run
    replay = Run.create(_config(tmp_path, f"replay/{run.folder.root}", {}))
    replayed = replay.execute()
    assert server.requests == []
    fields = (
        "operator",
        "parent_ids",
        "plan",
        "code",
        "status",
        "search_score",
        "tokens_in",
        "tokens_out",
        "cost_usd",
    )
    original = [tuple(getattr(n, f) for f in fields) for n in run.journal.nodes()]
    again = [tuple(getattr(n, f) for f in fields) for n in replay.journal.nodes()]
    assert again == original
    assert replayed.scores == result.scores


def test_replay_of_a_different_search_is_a_clear_error(openai_run, tmp_path):
    run, _, _ = openai_run
    changed = _config(
        tmp_path, f"replay/{run.folder.root}", {}, policy_params={**GREEDY, "num_drafts": 1}
    )
    with pytest.raises(ReplayMismatchError, match=r"call \d+ \((debug|improve)\)"):
        Run.create(changed).execute()


def test_search_through_anthropic_stops_at_its_cost_budget(server, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    server.push(Reply(status=529, headers={"retry-after": "0"}))
    config = _config(
        tmp_path,
        "anthropic/claude-haiku-4-5",
        {**FAST, "base_url": server.url},
        # per node: a draft (900 in, 50 out) and an analysis (100 in, 50 out) at $1/$5 per 1M
        budget={"steps": None, "cost_usd": 0.002},
    )
    run = Run.create(config)
    result = run.execute()
    nodes = run.journal.nodes()
    assert [n.operator for n in nodes] == ["draft", "draft"]
    assert "cost budget reached" in result.stop_reason
    assert nodes[0].is_good and result.valid_submission
    assert {r.api for r in server.requests} == {"anthropic"}
    assert server.requests[1].body["system"][0]["text"].startswith("You are an expert")
    assert nodes[0].cost_usd == pytest.approx((1000 * 1.0 + 100 * 5.0) / 1e6)
    # checked before every call: the second draft was the one call in flight past the budget,
    # and its analysis was refused
    assert nodes[1].cost_usd == pytest.approx((900 * 1.0 + 50 * 5.0) / 1e6)
    assert "cost budget reached" in nodes[1].meta["analysis_error"]
    assert result.cost_usd == pytest.approx(nodes[0].cost_usd + nodes[1].cost_usd)
