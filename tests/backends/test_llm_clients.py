"""The provider backends through the real SDK clients, against a local fake server."""

from __future__ import annotations

import json
import sys

import pytest

from airlab.backends import Message, make_backend
from airlab.backends.llm import MeteredChatModel, ReplayChatModel
from airlab.backends.llm.prices import PriceTable
from airlab.backends.llm.retry import RetryPolicy, TransientError, call_with_retries
from airlab.errors import BackendError, ReplayMismatchError
from airlab.testing.fake_llm import Reply
from backends.fake_clients import FAST, HELLO

pytestmark = pytest.mark.usefixtures("fresh_llm")


def _openai(server, **options):
    return make_backend(f"openai-compatible/qwen-coder@{server.openai_url}", {**FAST, **options})


def _anthropic(server, **options):
    return make_backend("anthropic/claude-haiku-4-5", {**FAST, "base_url": server.url, **options})


@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_answer_usage_and_cost(server, make):
    server.push(Reply(text="hi", tokens_in=1000, tokens_out=200))
    chat = make(server, temperature=0.3)
    completion = chat.complete(HELLO, purpose="test")
    assert completion.text == "hi"
    assert (completion.usage.tokens_in, completion.usage.tokens_out) == (1000, 200)
    assert completion.usage.calls == 1
    body = server.requests[-1].body
    if server.requests[-1].api == "anthropic":
        cache = {"type": "ephemeral"}
        assert body["system"] == [
            {"type": "text", "text": "You write code.", "cache_control": cache}
        ]
        assert body["messages"] == [
            {"role": "user", "content": [{"type": "text", "text": "Say hi."}]}
        ]
        assert body["temperature"] == 0.3
        assert completion.usage.cost_usd == pytest.approx((1000 * 1 + 200 * 5) / 1e6)
    else:
        assert body["messages"][0] == {"role": "system", "content": "You write code."}
        assert body["temperature"] == 0.3
        assert completion.usage.cost_usd == 0.0  # a local model has no price


@pytest.mark.parametrize("make", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_rate_limits_server_errors_and_garbled_bodies_are_retried(server, make):
    server.push(
        Reply(status=429, headers={"retry-after": "0"}),
        Reply(status=500),
        Reply(raw_body=b"{not json"),
        Reply(raw_body=b'{"choices": []}'),
        Reply(text="finally"),
    )
    assert make(server).complete(HELLO).text == "finally"
    assert len(server.requests) == 5


def test_retry_after_is_honoured():
    waits = []
    attempts = iter([TransientError("429", retry_after_s=2.5), None])

    def call():
        error = next(attempts)
        if error:
            raise error
        return "ok"

    assert call_with_retries(call, RetryPolicy(3, 0.01, 0.05), sleep=waits.append) == "ok"
    assert waits == [2.5]


def test_backoff_grows_with_jitter_and_a_cap():
    import random

    policy = RetryPolicy(10, 1.0, 8.0)
    rng = random.Random(0)
    delays = [policy.delay(attempt, None, rng) for attempt in range(1, 7)]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 2 <= delays[2] <= 4
    assert all(4 <= d <= 8 for d in delays[3:])


def test_slow_answer_times_out_and_is_retried(server):
    server.push(Reply(text="late", delay_s=1.5), Reply(text="on time"))
    chat = _openai(server, timeout_s=0.5)
    assert chat.complete(HELLO).text == "on time"


def test_retries_run_out_into_one_line_error(server):
    server.push(*[Reply(status=503)] * 3)
    with pytest.raises(BackendError, match=r"gave up after 2 retries: HTTP 503"):
        _openai(server, max_retries=2).complete(HELLO)


def test_rejected_parameter_is_dropped_for_the_rest_of_the_run(server):
    server.push(
        Reply(status=400, error_message="Unsupported parameter: 'temperature' is not supported"),
        Reply(text="one"),
        Reply(text="two"),
    )
    chat = _openai(server, temperature=0.7)
    assert chat.complete(HELLO).text == "one"
    assert chat.complete(HELLO).text == "two"
    sent = [r.body for r in server.requests]
    assert "temperature" in sent[0]
    assert "temperature" not in sent[1] and "temperature" not in sent[2]


def test_max_tokens_becomes_max_completion_tokens_when_asked(server):
    server.push(
        Reply(status=400, error_message="'max_tokens' unsupported; use 'max_completion_tokens'"),
        Reply(text="ok"),
    )
    chat = _openai(server, max_tokens=123)
    assert chat.complete(HELLO).text == "ok"
    assert server.requests[-1].body["max_completion_tokens"] == 123
    assert "max_tokens" not in server.requests[-1].body


def test_other_client_errors_are_one_line_backend_errors(server):
    server.push(Reply(status=401, error_message="bad key"))
    with pytest.raises(BackendError, match="key was refused"):
        _anthropic(server).complete(HELLO)
    server.push(Reply(status=404, error_message="model not found"))
    with pytest.raises(BackendError, match=r"HTTP 404 \(unknown model or endpoint\): model not"):
        _openai(server).complete(HELLO)


def test_missing_key_and_bad_options_are_one_line_errors(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(BackendError, match="set OPENAI_API_KEY"):
        make_backend("openai/gpt-4o-mini")
    with pytest.raises(BackendError, match="set MY_KEY"):
        make_backend("openai/gpt-4o-mini", {"api_key_env": "MY_KEY"})
    with pytest.raises(BackendError, match="unknown option 'temprature'"):
        make_backend("anthropic/claude-haiku-4-5", {"temprature": 1})
    with pytest.raises(BackendError, match="expected MODEL@URL"):
        make_backend("openai-compatible/qwen")
    with pytest.raises(BackendError, match="needs a model"):
        make_backend("openai")


def test_price_table_prefix_match_and_user_extension(tmp_path):
    table = PriceTable.load()
    assert table.cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    extra = tmp_path / "prices.yaml"
    extra.write_text("qwen-coder: {input: 1.0, output: 2.0}\n")
    assert PriceTable.load(extra).cost("qwen-coder", 500_000, 500_000) == pytest.approx(1.5)
    extra.write_text("qwen-coder: {input: cheap}\n")
    with pytest.raises(BackendError, match="qwen-coder"):
        PriceTable.load(extra)


def test_record_then_replay_offline(server, tmp_path):
    server.push(Reply(text="first"), Reply(status=404, error_message="gone"), Reply(text="third"))
    recorder = MeteredChatModel(_openai(server), tmp_path / "llm_calls.jsonl")
    assert recorder.complete(HELLO, purpose="draft").text == "first"
    with pytest.raises(BackendError):
        recorder.complete([Message("user", "again")], purpose="draft")
    other = [Message("user", "key sk-test-secret-key inside")]
    assert recorder.complete(other, purpose="debug").text == "third"
    lines = (tmp_path / "llm_calls.jsonl").read_text()
    assert "sk-test-secret-key" not in lines and "authorization" not in lines.lower()
    assert [json.loads(line)["index"] for line in lines.splitlines()] == [0, 1, 2]

    replay = make_backend(f"replay/{tmp_path}")
    assert isinstance(replay, ReplayChatModel)
    assert replay.complete(HELLO, purpose="draft").text == "first"
    with pytest.raises(BackendError, match="HTTP 404"):
        replay.complete([Message("user", "again")], purpose="draft")
    mismatch = r"call 2 \(debug\).*messages\[0\].content line 1"
    with pytest.raises(ReplayMismatchError, match=mismatch):
        replay.complete([Message("user", "something else")], purpose="debug")


def test_missing_sdk_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "anthropic", None)  # makes `import anthropic` fail
    with pytest.raises(
        BackendError, match=r"needs the anthropic package: pip install 'airlab\[llm\]'"
    ):
        make_backend("anthropic/claude-haiku-4-5")


def test_a_local_server_never_gets_the_openai_key(server, monkeypatch):
    server.push(Reply(text="a"), Reply(text="b"))
    _openai(server).complete(HELLO)
    assert "sk-test-secret-key" not in server.requests[-1].headers.get("authorization", "")
    monkeypatch.setenv("LOCAL_KEY", "local-secret")
    _openai(server, api_key_env="LOCAL_KEY").complete(HELLO)
    assert server.requests[-1].headers["authorization"] == "Bearer local-secret"


def test_a_seed_is_sent_where_the_api_takes_one(server):
    server.push(Reply(text="hi"))
    _openai(server, seed=7).complete(HELLO, purpose="test")
    assert server.requests[-1].body["seed"] == 7
    server.push(Reply(text="hi"))
    _openai(server).complete(HELLO, purpose="test")
    assert "seed" not in server.requests[-1].body
    server.push(Reply(text="hi"))
    _anthropic(server, seed=7).complete(HELLO, purpose="test")  # it has none: not sent
    assert server.requests[-1].api == "anthropic" and "seed" not in server.requests[-1].body
