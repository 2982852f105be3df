"""The search loop under the conditions a paying LLM user has: latency, answers without code,
refused keys, no server, missing usage, unpriced models, and budgets in tokens and money.

Every run talks to a local fake server through the real SDK client; the server counts the tokens
it reported, and the run's `result.json` must say exactly that.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from airlab.errors import BackendUnavailableError
from airlab.journal import NodeStatus
from airlab.operators.prompting import NO_CODE_AGAIN
from airlab.result import RunResult
from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FAILURES, FakeLLMServer, Reply, Request
from airlab.testing.tasks import tiny_answer
from tiny_task import FORKED

pytestmark = pytest.mark.slow

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.02, "max_retries": 2, "timeout_s": 20}


class Coder:
    """Answers like a model: a valid script, except every `no_code_every`-th answer (prose only,
    which costs tokens all the same); `delay_s` per answer; distinct token counts per call."""

    def __init__(self, delay_s: float = 0.0, no_code_every: int = 0) -> None:
        self.delay_s = delay_s
        self.no_code_every = no_code_every
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            self.calls += 1
            n = self.calls
        tokens = {"tokens_in": 500 + n, "tokens_out": 40 + n}
        if "Reply with the single word OK" in request.prompt:
            return Reply(text="OK", **tokens)
        if "CONTINUE" in request.prompt and "BRANCH" in request.prompt:  # LLM-first's choice
            return Reply(text="CONTINUE: it is climbing", delay_s=self.delay_s, **tokens)
        if "has run." in request.last_user.split("\n", 1)[0]:  # analysis
            return Reply(text="It ran and submitted.", delay_s=self.delay_s, **tokens)
        reminded = NO_CODE_AGAIN in request.last_user or "no complete Python" in request.last_user
        if reminded or (self.no_code_every and n % self.no_code_every == 0):
            return Reply(text="I would try a random forest next.", delay_s=self.delay_s, **tokens)
        return Reply(text=tiny_answer(1 + n % 5, attempt=n), delay_s=self.delay_s, **tokens)


class Timed(Coder):
    """Counts how many calls are in flight at once."""

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            reply = super().__call__(request)
            time.sleep(reply.delay_s)
            return Reply(**{**reply.__dict__, "delay_s": 0.0})
        finally:
            with self._lock:
                self.in_flight -= 1


def _config(task, tmp_path, server, **fields):
    data = {
        "task": str(task),
        "backend": f"openai-compatible/fake-coder@{server.openai_url}",
        "backend_options": FAST,
        "budget": {"steps": 4},
        "workers": 2,
        "runs_dir": str(tmp_path / "runs"),
        "limits": {"time_s": 60},
        "sandbox": FORKED,
        **fields,
    }
    return RunConfig.model_validate(data)


def _result_on_disk(run):
    return RunResult.model_validate_json(run.folder.result.read_text())


@pytest.mark.parametrize("policy", ["greedy", "llm_first"])
def test_every_token_the_server_reported_is_in_the_result(make_task, tmp_path, policy):
    coder = Coder(no_code_every=3)
    with FakeLLMServer(coder) as server:
        params = {"num_drafts": 3}
        config = _config(
            make_task(),
            tmp_path,
            server,
            policy=policy,
            policy_params=params,
            budget={"steps": 8},
            lookahead=policy == "greedy",  # LLM-first chooses only among finished candidates
        )
        run = Run.create(config)
        result = run.execute()
        assert result.tokens_in == server.reported_in
        assert result.tokens_out == server.reported_out
        assert result.llm_calls == len(server.requests)
    nodes = run.journal.nodes()
    # answers without code were charged to their nodes, and nothing but the run-level
    # preflight (and a policy's calls before their step existed) is charged elsewhere
    assert any(n.failure == "no_code" and n.tokens_in > 0 for n in nodes)
    calls = run.search.ledger.calls()
    assert {c.purpose for c in calls if c.node_id is None} <= {"preflight"}
    assert (
        sum(n.tokens_in for n in nodes) + sum(c.tokens_in for c in calls if c.node_id is None)
        == server.reported_in
    )
    if policy == "llm_first":
        assert any(c.purpose == "choose" for c in calls)
        assert result.spend_by_purpose["choose"].calls >= 1
    lines = (run.folder.root / "llm_calls.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(calls)
    assert all({"node_id", "purpose", "latency_s", "started_at"} <= set(r) for r in records)


def test_model_calls_are_not_bounded_by_the_workers(make_task, tmp_path):
    """With slow answers the run keeps more calls in flight than it has workers."""
    coder = Timed(delay_s=1.0)
    with FakeLLMServer(coder) as server:
        config = _config(
            make_task(), tmp_path, server, workers=1, llm_concurrency=3, budget={"steps": 5}
        )
        result = Run.create(config).execute()
    assert result.status == "complete" and result.nodes == 5
    assert coder.most_in_flight == 3


def test_a_refused_key_stops_the_run_at_preflight_and_it_resumes_once_fixed(make_task, tmp_path):
    refused = True

    def server_side(request: Request) -> Reply:
        if refused:
            return Reply(status=401, error_message="invalid api key")
        return Coder()(request)

    with FakeLLMServer(server_side) as server:
        run = Run.create(_config(make_task(), tmp_path, server))
        with pytest.raises(BackendUnavailableError, match=r"preflight failed.*refused"):
            run.execute()
        assert len(server.requests) == 1  # one call, not a budget of them
        assert run.journal.get_meta("status") == "failed"
        failed = _result_on_disk(run)
        assert failed.status == "failed" and "401" in (failed.error or "")
        assert not run.journal.nodes()

        refused = False
        result = Run.resume(run.folder.root).execute()
    assert result.status == "complete" and result.nodes == 4


def test_a_key_refused_mid_run_stops_at_the_first_refusal(make_task, tmp_path):
    """A refused key is definitive: the first 403 stops the run (it used to take three)."""
    answers = Coder()

    def server_side(request: Request) -> Reply:
        if len(server.requests) > 3:
            return Reply(status=403, error_message="key revoked")
        return answers(request)

    with FakeLLMServer(server_side) as server:
        config = _config(
            make_task(), tmp_path, server, workers=1, budget={"steps": 20}, lookahead=False
        )
        run = Run.create(config)
        with pytest.raises(BackendUnavailableError, match=r"key was refused.*key revoked"):
            run.execute()
        requests = len(server.requests)
    assert requests == 3 + 1  # one call past the revocation, not the step budget
    cancelled = [n for n in run.journal.nodes() if n.status == NodeStatus.CANCELLED]
    assert len(cancelled) <= 1 and all(n.failure == "backend" for n in cancelled)
    assert _result_on_disk(run).status == "failed"


@pytest.mark.parametrize("name", ["invalid_model", "credits", "insufficient_quota"])
@pytest.mark.parametrize("preflight", [True, False])
def test_a_definitive_failure_stops_the_run_in_at_most_three_calls(
    make_task, tmp_path, name, preflight
):
    """400 "not a valid model ID", 402 "insufficient credits" and 429 `insufficient_quota` used
    to become `no_code` nodes until the steps ran out, status `complete`."""
    with FakeLLMServer(lambda request: FAILURES[name]) as server:
        config = _config(make_task(), tmp_path, server, budget={"steps": 20}, preflight=preflight)
        run = Run.create(config)
        with pytest.raises(BackendUnavailableError) as caught:
            run.execute()
        requests = len(server.requests)
    reason = FAILURES[name].error_message.rstrip(".")
    assert reason in str(caught.value)
    assert requests == 1  # without preflight, the first call goes alone until one succeeds
    failed = _result_on_disk(run)
    assert failed.status == "failed" and reason in (failed.error or "")
    assert run.journal.get_meta("status") == "failed"
    assert not any(n.failure == "no_code" for n in run.journal.nodes())


def test_the_closing_line_gives_the_servers_reason(make_task, tmp_path):
    with FakeLLMServer(lambda request: FAILURES["credits"]) as server:
        command = [
            sys.executable, "-m", "airlab", "run", "-t", str(make_task()),
            "-b", f"openai-compatible/fake-coder@{server.openai_url}",
            "--runs-dir", str(tmp_path / "runs"), "--steps", "5",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        requests = len(server.requests)
    assert done.returncode == 1 and requests == 1
    closing = " ".join(done.stdout.split())
    assert "Insufficient credits" in closing and "the run is marked failed" in closing


def test_refused_answers_fail_their_nodes_billed_and_stop_the_run_when_repeated(
    make_task, tmp_path
):
    with FakeLLMServer(lambda request: FAILURES["content_filter"]) as server:
        config = _config(
            make_task(), tmp_path, server, workers=1, budget={"steps": 20}, lookahead=False
        )
        run = Run.create(config)
        with pytest.raises(BackendUnavailableError, match="refused 3 answers in a row"):
            run.execute()
        reported_in, requests = server.reported_in, len(server.requests)
    nodes = run.journal.nodes()
    assert [n.failure for n in nodes] == ["refused"] * 3
    assert all(n.status == NodeStatus.BUGGY and n.tokens_in == 1234 for n in nodes)
    failed = _result_on_disk(run)
    assert failed.status == "failed" and "content_filter" in (failed.error or "")
    assert failed.tokens_in == reported_in == 1234 * requests  # every refusal billed
    assert requests == 3 + 1  # the preflight, then one call per node: none retried


def _choice_failing(failure: str) -> Callable[[Request], Reply]:
    """A server whose LLM-first choice calls answer `failure`; every other call is answered."""
    answers = Coder()

    def server_side(request: Request) -> Reply:
        if "CONTINUE" in request.prompt and "BRANCH" in request.prompt:
            return FAILURES[failure]
        return answers(request)

    return server_side


def _llm_first(make_task, tmp_path, server, steps: int) -> RunConfig:
    return _config(
        make_task(),
        tmp_path,
        server,
        policy="llm_first",
        policy_params={"num_drafts": 2},
        budget={"steps": steps},
        workers=1,
        lookahead=False,
    )


def test_an_llm_first_choice_that_fails_falls_back_is_charged_and_the_run_goes_on(
    make_task, tmp_path
):
    with FakeLLMServer(_choice_failing("overloaded")) as server:
        config = _llm_first(make_task, tmp_path, server, steps=4)
        run = Run.create(config)
        result = run.execute()
        failed_choices = sum(1 for r in server.requests if "BRANCH" in r.prompt)
    assert result.status == "complete" and result.nodes == 4
    chosen = [n for n in run.journal.nodes() if n.operator == "improve"]
    assert chosen and all(n.meta["policy"]["decided_by"] == "fallback" for n in chosen)
    assert "the choice call failed" in chosen[0].meta["policy"]["reason"]
    choices = [c for c in run.search.ledger.calls() if c.purpose == "choose"]
    assert len(choices) == len(chosen) and all(c.error and c.retries == 2 for c in choices)
    assert {c.node_id for c in choices} == {n.id for n in chosen}  # charged to its node
    assert failed_choices == 3 * len(chosen)  # each tried, then retried twice (503)


def test_an_llm_first_choice_out_of_credits_fails_the_run_with_a_result(make_task, tmp_path):
    """It used to crash the driver, the journal left `running` and no result.json."""
    with FakeLLMServer(_choice_failing("credits")) as server:
        config = _llm_first(make_task, tmp_path, server, steps=6)
        run = Run.create(config)
        with pytest.raises(BackendUnavailableError, match=r"could not choose.*Insufficient"):
            run.execute()
    assert run.journal.get_meta("status") == "failed"
    assert "Insufficient credits" in (_result_on_disk(run).error or "")
    assert [c.purpose for c in run.search.ledger.calls()].count("choose") == 1


def test_a_token_budget_that_cannot_be_measured_stops_the_run_and_says_so(make_task, tmp_path):
    coder = Coder()

    def server_side(request: Request) -> Reply:
        return Reply(**{**coder(request).__dict__, "usage": False})

    with FakeLLMServer(server_side) as server:
        config = _config(make_task(), tmp_path, server, budget={"steps": 4, "tokens": 10**6})
        result = Run.create(config).execute()
        requests = len(server.requests)
    assert "token budget cannot be measured" in (result.stop_reason or "")
    assert requests == 1  # the preflight came back without usage: no step was taken
    assert any("without usage" in warning for warning in result.warnings)


def test_nothing_listening_fails_fast(make_task, tmp_path):
    with FakeLLMServer(Coder()) as server:
        url = server.openai_url
    config = RunConfig.model_validate(
        {
            "task": str(make_task()),
            "backend": f"openai-compatible/fake-coder@{url}",
            "backend_options": {**FAST, "max_retries": 6, "retry_base_s": 5},
            "runs_dir": str(tmp_path / "runs"),
        }
    )
    with pytest.raises(BackendUnavailableError, match="connection refused"):
        Run.create(config).execute()  # no backoff: a refusal is not retried


def test_answers_without_usage_and_unpriced_models_are_warnings(make_task, tmp_path):
    coder = Coder()

    def server_side(request: Request) -> Reply:
        return Reply(**{**coder(request).__dict__, "usage": False})

    with FakeLLMServer(server_side) as server:
        config = _config(make_task(), tmp_path, server, budget={"steps": 2})
        run = Run.create(config)
        result = run.execute()
    text = " ".join(result.warnings)
    assert "no price in the table" in text and "without usage" in text
    assert result.tokens_in == 0 == server.reported_in


def test_a_token_budget_stops_within_one_call_per_slot(make_task, tmp_path):
    coder = Coder(delay_s=0.2)
    with FakeLLMServer(coder) as server:
        config = _config(
            make_task(),
            tmp_path,
            server,
            budget={"steps": None, "tokens": 4000},
            llm_concurrency=2,
        )
        run = Run.create(config)
        result = run.execute()
        reported = server.reported_in + server.reported_out
    assert "token budget reached" in (result.stop_reason or "")
    biggest_call = max(c.tokens_in + c.tokens_out for c in run.search.ledger.calls())
    assert result.tokens_in + result.tokens_out == reported
    assert reported < 4000 + 2 * biggest_call
