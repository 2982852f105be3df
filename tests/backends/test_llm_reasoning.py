"""Reasoning models, prompt caching and streaming, as the wire formats carry them (checked on the
request bodies the fake server records), and their tokens priced and kept in the ledger."""

from __future__ import annotations

import json

import pytest

from airlab.backends import Message, make_backend
from airlab.backends.llm import MeteredChatModel
from airlab.backends.llm.openai_chat import is_reasoning_model
from airlab.errors import BackendError
from airlab.journal import Journal, Ledger
from airlab.testing.fake_llm import Reply
from backends.fake_clients import FAST, HELLO

pytestmark = pytest.mark.usefixtures("fresh_llm")


def _openai(server, model, **options):
    return make_backend(f"openai/{model}", {**FAST, "base_url": server.openai_url, **options})


def _anthropic(server, **options):
    return make_backend("anthropic/claude-sonnet-4-5", {**FAST, "base_url": server.url, **options})


def test_the_reasoning_table():
    assert all(is_reasoning_model(m) for m in ("o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5"))
    assert all(is_reasoning_model(m) for m in ("gpt-5-mini", "gpt-5.1"))
    assert not any(is_reasoning_model(m) for m in ("gpt-4o", "gpt-4.1-mini", "gpt-5-chat-latest"))
    assert not is_reasoning_model("qwen2.5-coder")


def test_a_reasoning_model_gets_its_parameters_up_front(server):
    server.push(Reply(text="hi", tokens_in=1000, tokens_out=500, cached_in=400, reasoning_out=300))
    chat = _openai(server, "o3-mini", temperature=0.5, reasoning_effort="high")
    completion = chat.complete(HELLO)
    body = server.requests[-1].body
    assert body["max_completion_tokens"] == 32768 and "max_tokens" not in body
    assert body["reasoning_effort"] == "high"
    assert "temperature" not in body
    assert body["stream"] is True  # a 32768-token budget is a long call
    assert len(server.requests) == 1  # known up front, not learnt from a 400
    usage = completion.usage
    assert (usage.cached_in, usage.reasoning_out) == (400, 300)
    # o3-mini: 1.10 input, 0.55 cached input, 4.40 output per 1M
    assert usage.cost_usd == pytest.approx((600 * 1.10 + 400 * 0.55 + 500 * 4.40) / 1e6)


def test_an_ordinary_model_keeps_max_tokens_and_sampling(server):
    server.push(Reply(text="hi"))
    _openai(server, "gpt-4o", temperature=0.5).complete(HELLO)
    body = server.requests[-1].body
    assert body["max_tokens"] == 8192 and body["temperature"] == 0.5
    assert "max_completion_tokens" not in body and "reasoning_effort" not in body


def test_a_reasoning_preflight_leaves_room_to_think(server):
    server.push(Reply(text="", finish_reason="length", tokens_out=1024))
    chat = _openai(server, "gpt-5-mini")
    completion = chat.preflight()
    assert server.requests[-1].body["max_completion_tokens"] == 1024
    assert completion.text == "" and completion.finish_reason == "length"


def test_openai_streams_long_calls_with_usage_from_the_last_chunk(server):
    server.push(Reply(text="a long answer", tokens_in=70, tokens_out=20, cached_in=64))
    chat = _openai(server, "gpt-5", max_tokens=65536)  # above 16384: streamed by default
    completion = chat.complete(HELLO)
    body = server.requests[-1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert completion.text == "a long answer" and completion.finish_reason == "stop"
    assert (completion.usage.tokens_in, completion.usage.cached_in) == (70, 64)
    assert completion.usage_reported


def test_anthropic_extended_thinking(server):
    server.push(Reply(text="hi"))
    chat = _anthropic(server, thinking_budget=4000, temperature=0.3)
    chat.complete(HELLO)
    body = server.requests[-1].body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    assert body["max_tokens"] == 8192 + 4000
    assert "temperature" not in body  # refused with thinking on
    with pytest.raises(BackendError, match="must exceed thinking_budget"):
        _anthropic(server, thinking_budget=4000, max_tokens=2000)


def test_anthropic_caches_the_system_prompt_and_the_task_prefix(server):
    server.push(Reply(text="hi", tokens_in=5000, tokens_out=100, cached_in=4000))
    prompt = "# Task: the same every call\n\n# Your step: draft"
    messages = [Message("system", "You write code."), Message("user", prompt, cache_prefix=28)]
    completion = _anthropic(server).complete(messages)
    body = server.requests[-1].body
    ephemeral = {"type": "ephemeral"}
    assert body["system"][0]["cache_control"] == ephemeral
    first, rest = body["messages"][0]["content"]
    assert first == {"type": "text", "text": prompt[:28], "cache_control": ephemeral}
    assert rest == {"type": "text", "text": prompt[28:]}
    usage = completion.usage
    assert (usage.tokens_in, usage.cached_in, usage.cache_write_in) == (5000, 4000, 0)
    # sonnet 4.5: 3.00 input, 0.30 cached input, 15.00 output per 1M
    assert usage.cost_usd == pytest.approx((1000 * 3.0 + 4000 * 0.30 + 100 * 15.0) / 1e6)


def test_anthropic_cache_writes_are_priced_and_caching_can_be_off(server):
    server.push(Reply(text="hi", tokens_in=3000, tokens_out=0, cache_write_in=2000))
    completion = _anthropic(server).complete(HELLO)
    assert completion.usage.cost_usd == pytest.approx((1000 * 3.0 + 2000 * 3.75) / 1e6)
    server.push(Reply(text="hi"))
    _anthropic(server, prompt_cache=False).complete(HELLO)
    body = server.requests[-1].body
    assert "cache_control" not in json.dumps(body)


def test_anthropic_streams(server):
    server.push(Reply(text="streamed answer", tokens_in=50, tokens_out=9, cached_in=30))
    completion = _anthropic(server, stream=True).complete(HELLO)
    assert server.requests[-1].body["stream"] is True
    assert completion.text == "streamed answer" and completion.finish_reason == "end_turn"
    assert (completion.usage.tokens_in, completion.usage.tokens_out) == (50, 9)
    assert completion.usage.cached_in == 30


def test_the_ledger_and_the_record_keep_cached_and_reasoning_tokens(server, tmp_path):
    server.push(Reply(text="hi", tokens_in=900, tokens_out=400, cached_in=512, reasoning_out=256))
    journal = Journal.create(tmp_path / "journal.sqlite")
    chat = MeteredChatModel(_openai(server, "o4-mini"), tmp_path / "calls.jsonl", Ledger(journal))
    chat.complete(HELLO, purpose="draft")
    (call,) = journal.calls()
    assert (call.cached_in, call.reasoning_out, call.cache_write_in) == (512, 256, 0)
    record = json.loads((tmp_path / "calls.jsonl").read_text())
    assert record["response"]["usage"]["cached_in"] == 512
    assert record["response"]["usage"]["reasoning_out"] == 256
    journal.close()


def test_anthropic_with_thinking_does_not_offer_native_tools(server):
    assert _anthropic(server).supports_tools
    assert not _anthropic(server, thinking_budget=2048).supports_tools


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_streamed_parallel_tool_calls_are_joined(server, api):
    from airlab.operators.react_tools import TOOL_SPECS

    calls = [
        ("write_file", {"path": "a.py", "content": "print(1)\n"}),
        ("shell", {"command": "ls"}),
    ]
    server.push(Reply(text="Two at once.", tool_calls=calls))
    chat = _openai(server, "gpt-5") if api == "openai" else _anthropic(server, stream=True)
    completion = chat.complete(HELLO, tools=TOOL_SPECS)
    body = server.requests[-1].body
    assert body["stream"] is True and len(body["tools"]) == len(TOOL_SPECS)
    assert [(c.name, c.arguments) for c in completion.tool_calls] == calls
    assert len({c.id for c in completion.tool_calls}) == 2
