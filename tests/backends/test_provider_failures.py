"""Every documented provider failure, sent by the fake server through the real SDK clients, is
classified once: definitive failures are not retried, transient ones are (and the ledger row says
how often), and a readable answer that is refused or empty is a failure billed like an answer."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from airlab.backends import Message, make_backend
from airlab.backends.llm import MeteredChatModel
from airlab.backends.llm.failures import ProviderError, ProviderFailure, classify_status
from airlab.journal import Journal, Ledger
from airlab.testing.fake_llm import FAILURES, Reply
from backends.fake_clients import FAST, HELLO

pytestmark = pytest.mark.usefixtures("fresh_llm")


def _openai(server, **options):
    return make_backend(f"openai-compatible/qwen-coder@{server.openai_url}", {**FAST, **options})


def _anthropic(server, **options):
    return make_backend("anthropic/claude-haiku-4-5", {**FAST, "base_url": server.url, **options})


def _metered(chat, tmp_path):
    ledger = Ledger(Journal.create(tmp_path / "journal.db"))
    return MeteredChatModel(chat, tmp_path / "llm_calls.jsonl", ledger), ledger


def _failure(name, **changes):
    return dataclasses.replace(FAILURES[name], **changes)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("invalid_model", ProviderFailure.MODEL),
        ("model_not_found", ProviderFailure.MODEL),
        ("credits", ProviderFailure.QUOTA),
        ("insufficient_quota", ProviderFailure.QUOTA),
        ("credit_balance", ProviderFailure.QUOTA),
        ("bad_key", ProviderFailure.AUTH),
    ],
)
@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_definitive_failures_are_sent_once_and_say_the_servers_reason(server, make, name, kind):
    server.push(_failure(name), Reply(text="never asked"))
    with pytest.raises(ProviderError) as caught:
        make(server).complete(HELLO)
    assert caught.value.kind == kind and caught.value.stops_run and caught.value.fatal
    assert FAILURES[name].error_message.rstrip(".") in str(caught.value)
    assert len(server.requests) == 1  # not retried: no later call can succeed


def test_a_rate_limit_is_not_mistaken_for_quota_even_when_it_mentions_billing():
    message = "Rate limit reached on requests per day. Add a payment method at /account/billing."
    body = {"message": message, "type": "requests", "code": "rate_limit_exceeded"}
    assert classify_status(429, message, body) == ProviderFailure.TRANSIENT
    assert classify_status(429, "Quota exceeded for quota metric per minute") == "transient"
    assert classify_status(400, "prompt is too long: 250000 tokens > 200000") == "invalid"
    assert classify_status(413, "request_too_large") == ProviderFailure.INVALID


@pytest.mark.parametrize("first", ["rate_limit", "overloaded"])
def test_transient_failures_are_retried_and_the_ledger_row_counts_them(server, tmp_path, first):
    server.push(_failure(first), _failure(first), Reply(text="at last", tokens_in=10))
    metered, ledger = _metered(_openai(server), tmp_path)
    assert metered.complete(HELLO, purpose="draft").text == "at last"
    [row] = ledger.calls()
    assert row.retries == 2 and row.error is None and row.tokens_in == 10


def test_a_call_that_runs_out_of_retries_records_them(server, tmp_path):
    server.push(*[_failure("overloaded")] * 3)
    metered, ledger = _metered(_openai(server, max_retries=2), tmp_path)
    with pytest.raises(ProviderError, match="gave up after 2 retries: HTTP 503") as caught:
        metered.complete(HELLO, purpose="draft")
    assert caught.value.kind == ProviderFailure.TRANSIENT and not caught.value.stops_run
    [row] = ledger.calls()
    assert row.retries == 2 and row.fatal and "overloaded" in (row.error or "")
    record = json.loads((tmp_path / "llm_calls.jsonl").read_text())
    assert record["retries"] == 2 and record["failure"] == "transient"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("content_filter", ProviderFailure.REFUSED), ("null_content", ProviderFailure.EMPTY)],
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_a_refused_or_empty_answer_is_a_failure_billed_as_the_server_reported(
    server, tmp_path, make, stream, name, kind
):
    server.push(_failure(name), Reply(text="never asked"))
    metered, ledger = _metered(make(server, stream=stream), tmp_path)
    with pytest.raises(ProviderError) as caught:
        metered.complete(HELLO, purpose="draft")
    assert caught.value.kind == kind and not caught.value.fatal
    assert len(server.requests) == 1  # a refusal is not asked again within the call
    [row] = ledger.calls()
    assert (row.tokens_in, row.tokens_out) == (server.reported_in, server.reported_out)
    assert row.tokens_in == FAILURES[name].tokens_in and row.error and row.usage_reported


def test_an_openai_refusal_field_is_a_refusal(server):
    server.push(Reply(content_null=True, refusal="I can't help with that."))
    with pytest.raises(ProviderError, match="refused") as caught:
        _openai(server).complete(HELLO)
    assert caught.value.kind == ProviderFailure.REFUSED and caught.value.usage.tokens_in == 100


def test_an_answer_without_usage_is_unknown_and_warned_about_once(server, tmp_path, caplog):
    server.push(FAILURES["no_usage"], FAILURES["no_usage"])
    metered, ledger = _metered(_openai(server), tmp_path)
    with caplog.at_level(logging.WARNING, logger="airlab.backends"):
        metered.complete(HELLO, purpose="draft")
        first = [r for r in caplog.records if "without usage" in r.getMessage()]
        metered.complete(HELLO, purpose="draft")
    assert len(first) == 1  # live, at the first one
    assert len([r for r in caplog.records if "without usage" in r.getMessage()]) == 1
    assert ledger.total().unreported == 2


def test_a_call_abandoned_at_its_timeout_is_billed_by_the_server_and_unknown_here(server, tmp_path):
    server.push(Reply(text="late", delay_s=1.0, tokens_in=700), Reply(text="on time", tokens_in=5))
    metered, ledger = _metered(_openai(server, timeout_s=0.3), tmp_path)
    completion = metered.complete(HELLO, purpose="draft")
    assert completion.text == "on time" and completion.abandoned == 1
    [row] = ledger.calls()
    assert row.retries == 1 and not row.usage_reported
    assert ledger.total().unreported == 1
    record = json.loads((tmp_path / "llm_calls.jsonl").read_text())
    assert record["response"]["abandoned"] == 1 and not record["response"]["usage_reported"]


def test_a_replayed_refusal_fails_and_bills_as_recorded(server, tmp_path):
    server.push(_failure("content_filter"))
    recorder, _ = _metered(_openai(server), tmp_path / "recorded")
    with pytest.raises(ProviderError):
        recorder.complete(HELLO, purpose="draft")
    replay, ledger = _metered(make_backend(f"replay/{tmp_path / 'recorded'}"), tmp_path / "again")
    with pytest.raises(ProviderError) as caught:
        replay.complete([Message("system", "You write code."), *HELLO[1:]], purpose="draft")
    assert caught.value.kind == ProviderFailure.REFUSED
    assert ledger.calls()[0].tokens_in == FAILURES["content_filter"].tokens_in
