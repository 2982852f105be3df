"""Per-purpose models: each kind of call goes to the model (and options) the run names for it,
and result.json splits the spend by purpose and model."""

from __future__ import annotations

import pytest
from rich.console import Console

from airlab.backends.base import ChatModel, Completion, Message
from airlab.backends.routing import RoutedChatModel, build_chat_backend, route_keys
from airlab.cli.display import header
from airlab.errors import ConfigError
from airlab.result import RunResult
from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request
from airlab.testing.tasks import tiny_answer

pytestmark = pytest.mark.slow

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.02, "max_retries": 2, "timeout_s": 20}


def coder(request: Request) -> Reply:
    if "Reply with the single word OK" in request.prompt:
        return Reply(text="OK", tokens_in=5, tokens_out=1)
    if "has run." in request.last_user.split("\n", 1)[0]:
        return Reply(text="It ran.", tokens_in=300, tokens_out=7)
    return Reply(text=tiny_answer(1 + len(request.prompt) % 5), tokens_in=900)


def test_route_keys():
    assert route_keys("draft-reminder") == ("draft",)
    assert route_keys("react-improve") == ("react", "improve")
    assert route_keys("analysis") == ("analysis",)


def test_unknown_purpose_is_one_line():
    with pytest.raises(ConfigError, match="models: unknown purpose 'analyse'"):
        build_chat_backend("templates", {}, {"analyse": "openai/gpt-4o-mini"}, {})


def test_each_purpose_goes_to_its_own_model(make_task, tmp_path):
    with FakeLLMServer(coder) as server:
        url = server.openai_url
        config = RunConfig.model_validate(
            {
                "task": str(make_task()),
                "backend": f"openai-compatible/big-coder@{url}",
                "backend_options": {**FAST, "temperature": 0.7},
                "models": {"analysis": f"openai-compatible/small-critic@{url}"},
                "model_options": {
                    "analysis": {"temperature": 0.0, "max_tokens": 512, "reasoning_effort": "low"},
                    "debug": {"temperature": 0.2},
                },
                "budget": {"steps": 3},
                "policy_params": {"num_drafts": 2},
                "runs_dir": str(tmp_path / "runs"),
                "limits": {"time_s": 60},
                "lookahead": False,
            }
        )
        run = Run.create(config)
        console = Console(record=True, width=200)
        console.print(header(run))
        shown = console.export_text()
        result = run.execute()
        requests = list(server.requests)
    assert "models draft openai-compatible/big-coder" in shown
    assert "analysis openai-compatible/small-critic" in shown
    by_kind: dict[str, list[dict]] = {"preflight": [], "analysis": [], "write": []}
    for request in requests:
        if "Reply with the single word OK" in request.prompt:
            by_kind["preflight"].append(request.body)
        elif "has run." in request.last_user.split("\n", 1)[0]:
            by_kind["analysis"].append(request.body)
        else:
            by_kind["write"].append(request.body)
    # both models were proved before the first step, each once
    assert sorted(b["model"] for b in by_kind["preflight"]) == ["big-coder", "small-critic"]
    assert by_kind["analysis"] and all(
        b["model"] == "small-critic"
        and b["temperature"] == 0.0
        and b["max_tokens"] == 512
        and b["reasoning_effort"] == "low"
        for b in by_kind["analysis"]
    )
    assert all(
        b["model"] == "big-coder"
        and b["temperature"] == 0.7
        and b["max_tokens"] == 8192
        and "reasoning_effort" not in b
        for b in by_kind["write"]
    )
    on_disk = RunResult.model_validate_json(run.folder.result.read_text())
    assert on_disk.models["analysis"] == "openai-compatible/small-critic"
    assert on_disk.models["draft"] == on_disk.models["improve"] == "openai-compatible/big-coder"
    small = on_disk.spend_by_model["openai-compatible/small-critic"]
    big = on_disk.spend_by_model["openai-compatible/big-coder"]
    assert set(small) == {"analysis", "preflight"} and small["analysis"].tokens_out == 7 * 3
    assert "analysis" not in big and big["draft"].calls == 2
    total_in = sum(
        row.tokens_in for rows in on_disk.spend_by_model.values() for row in rows.values()
    )
    assert total_in == result.tokens_in == server.reported_in
    calls = run.search.ledger.calls()
    assert {c.backend for c in calls if c.purpose == "analysis"} == {
        "openai-compatible/small-critic"
    }


def test_command_line_spelling():
    from airlab.cli.run_commands import parse_purpose_options

    assert parse_purpose_options(["analysis.temperature=0", "analysis.max_tokens=512"]) == {
        "analysis": {"temperature": 0, "max_tokens": 512}
    }
    with pytest.raises(ConfigError, match=r"PURPOSE\.KEY=VALUE"):
        parse_purpose_options(["temperature=0"])


class _Named(ChatModel):
    def __init__(self, name: str) -> None:
        self.name = name
        self.purposes: list[str] = []

    def complete(self, messages, *, purpose=""):
        self.purposes.append(purpose)
        return Completion(self.name)


def test_a_router_sends_reminders_react_turns_and_choices_where_they_belong():
    default, react, choose, improve = (_Named(n) for n in ("default", "react", "choose", "imp"))
    router = RoutedChatModel(default, {"react": react, "choose": choose, "improve": improve})
    hello = [Message("user", "hi")]
    answers = [
        router.complete(hello, purpose=p).text
        for p in ("draft", "draft-reminder", "improve-reminder", "react-improve", "choose")
    ]
    assert answers == ["default", "default", "imp", "react", "choose"]
    assert len(router.members()) == 4 and router.route("analysis") is default


def test_the_templates_have_no_per_purpose_models():
    with pytest.raises(ConfigError, match="'templates' is not a chat model"):
        build_chat_backend("templates", {}, {"analysis": "openai/gpt-4o-mini"}, {})
