"""The ReAct operator: tools in a sandboxed folder, caps on turns, the transcript on the node."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from airlab.backends import ChatModel, Completion, Message, Usage
from airlab.errors import BackendError
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.react import ReactEpisode, parse_action
from airlab.runner import Run, RunConfig
from airlab.sandbox import get_sandbox
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import resolve_task
from airlab.testing.fake_llm import FakeLLMServer, Reply
from backends.scripted_agent import solution

STEPS = [
    "I start with a random forest.\nACTION: write_file solution.py\n```python\n{code}```",
    "ACTION: shell\n```bash\npython solution.py && head -2 submission.csv\n```",
    "ACTION: check_submission",
    "Can I see the journal?\nACTION: read_file ../../journal.sqlite",
    "ACTION: edit_file solution.py\n```\n<<<<<<< SEARCH\nn_estimators=40\n=======\n"
    "n_estimators=30\n>>>>>>> REPLACE\n```",
    "A random forest on raw pixels, checked locally.\nFamily: trees\nACTION: submit",
]


class ScriptedChat(ChatModel):
    """Answers turn by turn from a list, without HTTP."""

    name = "scripted"

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.seen: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.seen.append(list(messages))
        return Completion(self.replies[len(self.seen) - 1], Usage(10, 5, 0.0, 1), "scripted")


def react_agent(request) -> Reply:
    turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
    if "summarise what happened" in request.last_user:
        return Reply(text="It ran.")
    return Reply(text=STEPS[turn].format(code=solution(0)))


def test_parse_action_reads_tool_argument_and_block():
    action = parse_action("<think>x</think>Let me run.\nACTION: shell\n```bash\nls -l\n```\n")
    assert (action.tool, action.body, action.thought) == ("shell", "ls -l\n", "Let me run.")
    action = parse_action("**ACTION:** read_file `public/train.csv`")
    assert (action.tool, action.arg, action.body) == ("read_file", "public/train.csv", None)
    assert parse_action("just talk") is None


@pytest.mark.slow
def test_react_search_through_an_openai_compatible_server(tmp_path):
    with FakeLLMServer(react_agent) as server:
        config = RunConfig.model_validate(
            {
                "task": "digits",
                "backend": f"openai-compatible/coder@{server.openai_url}",
                "backend_options": {"retry_base_s": 0.01},
                "operator_options": {"mode": "react", "react_command_s": 60},
                "budget": {"steps": 1},
                "policy_params": {"num_drafts": 1},
                "runs_dir": str(tmp_path),
                "limits": {"time_s": 60},
            }
        )
        run = Run.create(config)
        run.execute()
        assert server.requests[0].last_user.startswith("Reply with the single word OK")
        prompt = server.requests[1].last_user
    node = run.journal.nodes()[0]
    assert node.is_good, node.error
    assert "ACTION: shell" in prompt and "commands time out after 60 s" in prompt
    assert "n_estimators=30" in node.code
    assert node.plan.startswith("A random forest on raw pixels")
    assert node.meta["family"] == "random_forest"
    react = node.meta["react"]
    assert react["turns"] == 6 and react["submitted"]
    observations = [m["content"] for m in react["transcript"] if m["role"] == "user"][1:]
    assert observations[0].startswith("OBSERVATION:\nwrote solution.py")
    assert "exit code 0" in observations[1] and "id,label" in observations[1]
    assert "right format (899 rows)" in observations[2]
    assert "without '..'" in observations[3]
    assert observations[4].endswith("edited solution.py")
    saved = json.loads((run.folder.root / react["transcript_file"]).read_text())
    assert saved == react["transcript"]
    assert node.meta["llm_calls"] == 7  # six turns and the analysis
    assert node.tokens_in == 7 * 100


def _context(tmp_path, chat, **options):
    task = resolve_task("digits")
    return OperatorContext(
        task=task,
        parents=(),
        history=(),
        backend=chat,
        seed=0,
        node_id=0,
        limits=ExecutionLimits(time_s=30, memory_mb=2048),
        options={"mode": "react", **options},
        sandbox=get_sandbox("process"),
        scratch_dir=tmp_path / "react" / "0000",
        hidden_paths=(task.private_dir,),
    )


def test_turn_cap_keeps_the_last_solution_and_reminds_without_action(tmp_path):
    chat = ScriptedChat([STEPS[0].format(code="print('hi')\n"), "I think a lot.", "still thinking"])
    candidate = OPERATORS.get("draft").apply(_context(tmp_path, chat, react_turns=3))
    assert candidate.code == "print('hi')\n"
    assert candidate.meta["react"]["submitted"] is False
    assert candidate.usage.calls == 3
    assert chat.seen[2][-1].content.startswith("OBSERVATION:\nNo action found")


def test_submit_without_solution_is_refused_then_no_code_is_an_error(tmp_path):
    chat = ScriptedChat(["ACTION: submit", "ACTION: write_file /etc/x\n```\nx\n```"])
    with pytest.raises(BackendError, match=r"no solution\.py after 2 turns"):
        OPERATORS.get("draft").apply(_context(tmp_path, chat, react_turns=2))
    assert "cannot submit" in chat.seen[1][-1].content
    transcript = json.loads((tmp_path / "react" / "0000" / "transcript.json").read_text())
    assert "relative to the folder" in transcript[-1]["content"]


def test_the_episode_steps_one_reply_at_a_time(tmp_path):
    context = _context(tmp_path, ScriptedChat([]), react_turns=3)
    episode = ReactEpisode(OPERATORS.get("draft"), context, native=False)
    opening = episode.start()
    assert [m.role for m in opening] == ["system", "user"] and not episode.finished
    wrote = episode.turn(Completion(STEPS[0].format(code="print('hi')\n"), Usage(calls=1)))
    assert wrote.tools == ("write_file",) and not wrote.submitted
    assert [m.content for m in wrote.replies] == ["OBSERVATION:\nwrote solution.py (1 lines)"]
    done = episode.turn(Completion("Done.\nACTION: submit", Usage(calls=1)))
    assert done.submitted and done.replies == () and episode.finished
    assert len(episode.messages) == 5 and episode.turns == 2
    with pytest.raises(BackendError, match="over after 2 turns"):
        episode.turn(Completion("ACTION: submit"))
    candidate = episode.result()
    assert (candidate.plan, candidate.code, candidate.usage.calls) == ("Done.", "print('hi')\n", 2)
    transcript = candidate.meta["react"]["transcript"]
    assert [(m["role"], m["content"]) for m in transcript] == [
        (m.role, m.content) for m in episode.messages
    ]
    assert "tool_seconds" in transcript[2]  # the write's reply
