"""The fake LLM server the provider-client tests share: one per module, its script, requests and
reported tokens emptied and dummy keys set before each test that asks for it (`fresh_llm`).
`airlab.testing.fake_llm.FAILURES` holds the providers' documented failures to push into it."""

from __future__ import annotations

import pytest

from airlab.testing.fake_llm import FakeLLMServer


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def fresh_llm(server, monkeypatch):
    server.script.clear()
    server.requests.clear()
    server.reported_in = server.reported_out = 0
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-secret-key")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key")
    return server
