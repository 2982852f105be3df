"""ReAct through native tool calling (OpenAI `tools`/`tool_calls`, Anthropic `tool_use`), with
parallel calls in one reply, checked on the request bodies the fake server records."""

from __future__ import annotations

import pytest

from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request
from backends.scripted_agent import solution

pytestmark = pytest.mark.slow

TURNS = [
    [
        ("write_file", {"path": "solution.py", "content": solution(0)}),
        ("shell", {"command": "python solution.py && head -2 submission.csv"}),
    ],
    [
        ("check_submission", {}),
        (
            "edit_file",
            {"path": "solution.py", "search": "n_estimators=40", "replace": "n_estimators=30"},
        ),
    ],
    [("submit", {"plan": "A random forest on raw pixels.\nFamily: trees"})],
]


def native_agent(request: Request) -> Reply:
    if "Reply with the single word OK" in request.prompt:
        return Reply(text="OK")
    if "summarise what happened" in request.last_user:
        return Reply(text="It ran.")
    turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
    return Reply(text="Next step." if turn else "", tool_calls=TURNS[turn])


def _run(tmp_path, backend, options):
    with FakeLLMServer(native_agent) as server:
        config = RunConfig.model_validate(
            {
                "task": "digits",
                "backend": backend,
                "backend_options": {"retry_base_s": 0.01, "base_url": server.url, **options},
                "operator_options": {"mode": "react", "react_command_s": 60},
                "budget": {"steps": 1},
                "policy_params": {"num_drafts": 1},
                "runs_dir": str(tmp_path),
                "limits": {"time_s": 60},
            }
        )
        run = Run.create(config)
        run.execute()
        return run, [r.body for r in server.requests[1:]]  # after the preflight


def _check_episode(run):
    node = run.journal.nodes()[0]
    assert node.is_good, node.error
    assert "n_estimators=30" in node.code
    assert node.plan.startswith("A random forest on raw pixels")
    react = node.meta["react"]
    assert react["tools"] == "native" and react["turns"] == 3 and react["submitted"]
    results = [m["content"] for m in react["transcript"] if m["role"] == "tool"]
    assert results[0].startswith("wrote solution.py")
    assert "exit code 0" in results[1] and "id,label" in results[1]
    assert "right format (899 rows)" in results[2]
    assert results[3] == "edited solution.py"
    return node


def test_openai_tools_and_parallel_tool_calls(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key")
    run, bodies = _run(tmp_path, "openai/gpt-4o", {})
    _check_episode(run)
    first = bodies[0]
    names = [t["function"]["name"] for t in first["tools"]]
    assert names == ["shell", "read_file", "write_file", "edit_file", "check_submission", "submit"]
    assert first["tools"][0]["type"] == "function"
    assert "ACTION:" not in first["messages"][1]["content"]
    second = bodies[1]["messages"]
    assistant = second[2]
    assert assistant["role"] == "assistant"
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["write_file", "shell"]
    tool_messages = second[3:]
    assert [m["role"] for m in tool_messages] == ["tool", "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == [c["id"] for c in assistant["tool_calls"]]
    # the episode replays offline, natively, to the same node
    config = run.config.model_copy(
        update={"backend": f"replay/{run.folder.root}", "backend_options": {}}
    )
    replay = Run.create(config)
    replay.execute()
    again = replay.journal.nodes()[0]
    original = run.journal.nodes()[0]
    assert (again.code, again.plan, again.search_score) == (
        original.code,
        original.plan,
        original.search_score,
    )
    assert again.meta["react"]["tools"] == "native"


def test_anthropic_tool_use_and_results_in_one_user_turn(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-secret")
    run, bodies = _run(tmp_path, "anthropic/claude-sonnet-4-5", {})
    _check_episode(run)
    first = bodies[0]
    assert [t["name"] for t in first["tools"]][-1] == "submit"
    assert first["tools"][0]["input_schema"]["required"] == ["command"]
    second = bodies[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    uses = [b for b in second[1]["content"] if b["type"] == "tool_use"]
    results = second[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result"]
    assert [b["tool_use_id"] for b in results] == [b["id"] for b in uses]


def test_a_local_server_keeps_the_text_protocol(tmp_path):
    with FakeLLMServer(lambda request: Reply(text="OK")) as server:
        config = RunConfig.model_validate(
            {
                "task": "digits",
                "backend": f"openai-compatible/coder@{server.openai_url}",
                "backend_options": {"retry_base_s": 0.01},
                "operator_options": {"mode": "react", "react_turns": 1},
                "budget": {"steps": 1},
                "runs_dir": str(tmp_path),
                "limits": {"time_s": 60},
            }
        )
        Run.create(config).execute()
        body = server.requests[1].body
    assert "tools" not in body and "ACTION: shell" in body["messages"][1]["content"]


def test_native_tools_on_a_model_without_them_is_one_line(tmp_path):
    from airlab.backends.base import ChatModel, Completion
    from airlab.errors import BackendError
    from airlab.operators import OPERATORS, OperatorContext
    from airlab.sandbox import get_sandbox
    from airlab.sandbox.base import ExecutionLimits
    from airlab.tasks import resolve_task

    class Plain(ChatModel):
        name = "plain"

        def complete(self, messages, *, purpose=""):
            return Completion("ACTION: submit")

    task = resolve_task("digits")
    context = OperatorContext(
        task=task,
        parents=(),
        history=(),
        backend=Plain(),
        seed=0,
        node_id=0,
        limits=ExecutionLimits(time_s=30, memory_mb=2048),
        options={"mode": "react", "react_tools": "native"},
        sandbox=get_sandbox("process"),
        scratch_dir=tmp_path / "react",
    )
    with pytest.raises(BackendError, match="react_tools=native: backend 'plain' has no native"):
        OPERATORS.get("draft").apply(context)
