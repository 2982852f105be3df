"""Every built-in backend against the shipped contract (`airlab.testing.backend.BackendSuite`):
the templates offline, the OpenAI-compatible and Anthropic clients against a local fake server
that answers like a model would."""

from __future__ import annotations

import pytest

from airlab.backends import make_backend
from airlab.testing.backend import BackendSuite
from airlab.testing.fake_llm import FakeLLMServer, Reply

SCRIPT = """Plan: a logistic regression on the three features.

```python
import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
features = ["a", "b", "c"]
model = LogisticRegression().fit(train[features], train["y"])
pd.DataFrame({"id": test["id"], "y": model.predict(test[features])}).to_csv(
    "submission.csv", index=False
)
print("self_reported_score: 0.9")
```
"""
FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05, "timeout_s": 10}


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer(lambda request: Reply(text=SCRIPT, tokens_in=300, tokens_out=120)) as fake:
        yield fake


class TestTemplates(BackendSuite):
    deterministic = True

    @pytest.fixture
    def backend(self):
        return make_backend("templates", {"bug_rate": 0.0})


class TestOpenAICompatible(BackendSuite):
    @pytest.fixture
    def backend(self, server):
        return make_backend(f"openai-compatible/coder@{server.openai_url}", FAST)


class TestAnthropic(BackendSuite):
    @pytest.fixture
    def backend(self, server, monkeypatch):
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
        return make_backend("anthropic/claude-haiku-4-5", {**FAST, "base_url": server.url})
