"""The verifiers adapter: a rollout through verifiers' own loop and OpenAI client (against a
local fake server) calls the ReAct tools natively, ends at the submit, and the rubric gives
airlab's reward."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("gymnasium")
pytest.importorskip("verifiers")

from airlab.gym.env import AirlabEnv
from airlab.gym.verifiers import load_environment, tool_defs
from airlab.testing.chat_run import SOLUTION
from airlab.testing.fake_llm import FakeLLMServer, Reply

pytestmark = pytest.mark.slow
LIMITS = {"time_s": 60}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    env = AirlabEnv("digits", operator="improve", runs_dir=tmp_path_factory.mktemp("root"))
    start = env.root()
    env.close()
    return start


def client_for(server):
    from openai import AsyncOpenAI
    from verifiers.clients import OpenAIChatCompletionsClient

    return OpenAIChatCompletionsClient(AsyncOpenAI(base_url=server.openai_url, api_key="x"))


def test_a_verifiers_rollout_calls_the_tools_and_is_scored(root, tmp_path):
    env = load_environment([root], runs_dir=tmp_path, limits=LIMITS, react_turns=6)
    assert [t["name"] for t in tool_defs()][-1] == "submit"
    row = env.dataset[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    with FakeLLMServer() as server:
        server.push(
            Reply(
                tool_calls=[
                    ("write_file", {"path": "solution.py", "content": SOLUTION.format(c=0.5)})
                ]
            ),
            Reply(tool_calls=[("shell", {"command": "python solution.py"})]),
            Reply(tool_calls=[("submit", {"plan": "Logistic regression, C=0.5."})]),
        )
        rollout = {"prompt": row["prompt"], "info": row["info"], "example_id": 0}
        output = asyncio.run(env.run_rollout(rollout, client_for(server), "fake", {}))
        sent = server.requests
    assert len(sent) == 3 and sent[0].body["tools"][0]["function"]["name"] == "shell"
    told = [m for m in sent[2].body["messages"] if m["role"] == "tool"]
    assert told[0]["content"].startswith("wrote solution.py")
    assert told[1]["content"].startswith("exit code 0")
    reward = output["reward"]
    assert -0.5 <= reward <= 1.0 and reward != 0.0  # graded: C=0.5 against the parent
    text = json.dumps(output, default=str)
    assert "select_score" not in text and "test_score" not in text


def test_a_rollout_that_answers_with_code_is_a_single_step(root, tmp_path):
    env = load_environment([root], runs_dir=tmp_path, limits=LIMITS)
    row = env.dataset[0]
    with FakeLLMServer() as server:
        server.push(Reply(text="Plan.\n```python\nraise SystemExit(4)\n```"))
        rollout = {"prompt": row["prompt"], "info": row["info"], "example_id": 0}
        output = asyncio.run(env.run_rollout(rollout, client_for(server), "fake", {}))
    assert output["reward"] == -1.0 and len(server.requests) == 1
