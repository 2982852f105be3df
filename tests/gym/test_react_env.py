"""The environment in ReAct mode: one reply (one tool call) per step, through the ReAct
operator's own episode; a submit or the last turn grades the folder's solution.py."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from airlab.errors import ConfigError
from airlab.gym import RewardSpec, make
from airlab.gym.rollout import rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.journal import Journal, NodeStatus
from airlab.operators.react import NO_ACTION
from airlab.runner import Run, RunConfig
from airlab.testing.chat_run import SOLUTION, answer

pytestmark = pytest.mark.slow
SENTINEL = 0.123456789
WRITE = "A logistic regression.\nACTION: write_file solution.py\n```python\n{code}```\n"
SHELL = "Run it.\nACTION: shell\n```bash\npython solution.py && head -2 submission.csv\n```\n"
SUBMIT = "Logistic regression on raw pixels, checked by running it.\nFamily: linear\nACTION: submit"


def react_env(
    tmp_path, *, turns=6, rewards=None, react_time_s=1800.0, react_tools="auto", **options
):
    react = {
        "react_turns": turns,
        "react_command_s": 60,
        "react_time_s": react_time_s,
        "react_tools": react_tools,
    }
    return make(
        "digits",
        runs_dir=tmp_path,
        rewards=rewards,
        operator_options={"mode": "react", **react},
        limits={"time_s": 60},
        **options,
    )


def conversation(obs):
    return json.loads(obs["messages"])


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    """A templates run of two nodes, with hidden scores no observation may ever show."""
    config = RunConfig.model_validate(
        {
            "task": "digits",
            "backend": "templates",
            "budget": {"steps": 2},
            "policy_params": {"num_drafts": 1},
            "runs_dir": str(tmp_path_factory.mktemp("runs")),
            "limits": {"time_s": 60},
        }
    )
    run = Run.create(config)
    run.execute()
    root = run.folder.root
    with Journal.open(root / "journal.sqlite") as journal:
        for node in journal.nodes():
            journal.update(node.id, select_score=SENTINEL, test_score=SENTINEL)
    return root


def test_check_env_passes_in_react_mode(tmp_path):
    env = react_env(tmp_path, operator="improve")
    check_env(env, skip_render_check=True)
    env.close()


def test_a_scripted_episode_writes_runs_and_submits(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=1, rewards=RewardSpec(turn_cost=0.01))
    obs, info = env.reset()
    opening = conversation(obs)
    assert [m["role"] for m in opening] == ["system", "user"]
    assert opening[1]["content"] == obs["user"] and "ACTION: submit" in obs["user"]
    assert env.messages() == opening and env.observation_space.contains(obs)
    steps = [WRITE.format(code=SOLUTION.format(c=0.5)), SHELL, "I am thinking.", SUBMIT]
    seen = []
    for action in steps:
        seen.append(env.step(action))
    for obs, reward, terminated, truncated, info in seen[:3]:
        assert reward == pytest.approx(-0.01) and not terminated and not truncated
        assert "search_score" not in info and env.observation_space.contains(obs)
    observations = [m["content"] for m in conversation(seen[2][0]) if m["role"] == "user"][1:]
    assert observations[0] == "OBSERVATION:\nwrote solution.py (10 lines)"
    assert observations[1].startswith("OBSERVATION:\nexit code 0") and "id,label" in observations[1]
    assert observations[2] == f"OBSERVATION:\n{NO_ACTION}"
    assert [s[4]["tool"] for s in seen] == ["write_file", "shell", None, "submit"]
    obs, reward, terminated, truncated, info = seen[3]
    assert (terminated, truncated, info["submitted"], info["status"]) == (False, True, True, "good")
    assert info["search_score"] > 0.9 and info["turn"] == 4
    node = env.search.journal.get(info["node_id"])
    react = node.meta["react"]
    assert (react["turns"], react["submitted"], react["tools"]) == (4, True, "text")
    assert react["transcript"][: len(opening)] == opening
    assert [m["content"] for m in react["transcript"]] == [m["content"] for m in env.messages()]
    assert node.plan.startswith("Logistic regression") and "C=0.5" in node.code
    assert node.meta["family"] == "linear" and node.meta["llm_calls"] == 4
    calls = [c for c in env.search.ledger.calls() if c.node_id == node.id]
    assert [c.purpose for c in calls] == ["react-draft"] * 4
    assert not any(c.usage_reported for c in calls)  # the trainer's tokens are unknown here
    assert (env.run_dir / react["transcript_file"]).is_file()
    text = json.dumps(seen, default=str)
    assert "select_score" not in text and "test_score" not in text
    env.close()


def test_the_cut_at_react_turns_grades_the_folder_or_fails_without_code(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=1, turns=2)
    env.reset()
    first = env.step(WRITE.format(code=SOLUTION.format(c=1.0)))
    assert first[3] is False
    obs, reward, _, truncated, info = env.step("ACTION: check_submission")
    assert truncated and info["status"] == "good" and not info["submitted"]
    node = env.search.journal.get(info["node_id"])
    assert node.plan == "(ReAct stopped after 2 turns: no submit)"
    assert node.meta["react"]["submitted"] is False
    assert "no submission.csv yet" in conversation(obs)[-1]["content"]

    env.reset()
    obs, reward, _, truncated, info = env.step("ACTION: submit")
    assert "cannot submit" in conversation(obs)[-1]["content"] and not truncated
    obs, reward, _, truncated, info = env.step("no action at all")
    assert (reward, truncated, info["failure"]) == (-1.0, True, "no_code")
    assert "no solution.py after 2 turns" in info["error"]
    with pytest.raises(ConfigError, match=r"call reset\(\) before step\(\)"):
        env.step("ACTION: submit")
    env.close()


def test_after_a_graded_node_the_next_step_opens_a_new_conversation(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=2)
    env.reset()
    env.step(WRITE.format(code=SOLUTION.format(c=0.5)))
    obs, reward, _, truncated, info = env.step(SUBMIT)
    assert not truncated and info["status"] == "good"
    assert obs["operator"] == "improve" and json.loads(obs["parent"])["id"] == info["node_id"]
    assert len(conversation(obs)) == 2  # a fresh episode for the improve step
    obs, _, _, _, _ = env.step("ACTION: read_file solution.py")
    assert "C=0.5" in conversation(obs)[-1]["content"]  # the parent's code is in the folder
    _, reward, _, truncated, info = env.step(SUBMIT)
    # the parent as it is: no change, 0, not a crash's −1
    assert truncated and info["failure"] == "unchanged" and reward == 0.0
    env.close()


def test_reset_from_a_journal_node_in_react_mode(source_run, tmp_path):
    with Journal.open(source_run / "journal.sqlite", read_only=True) as journal:
        node = journal.get(1)
        parent = journal.get(node.parent_ids[0])
    assert node.operator in ("improve", "debug")
    env = react_env(tmp_path, max_steps=1)
    obs, info = env.reset(options={"start": (source_run, 1)})
    assert info["next_node_id"] == 1 and obs["operator"] == node.operator
    assert json.loads(obs["parent"])["id"] == parent.id
    assert "ACTION: submit" in obs["user"] and env.search.operator_params.mode == "react"
    seen = [(obs, info)]
    seen.append(env.step("ACTION: read_file solution.py"))
    shown = conversation(seen[-1][0])[-1]["content"].removeprefix("OBSERVATION:\n")
    assert parent.code.startswith(shown[:500])  # the parent's code is in the folder
    seen.append(env.step(WRITE.format(code=SOLUTION.format(c=2.0))))
    seen.append(env.step(SUBMIT))
    info = seen[-1][4]
    assert seen[-1][3] and info["node_id"] == 1 and info["status"] == "good"
    assert info["parent_score"] == parent.search_score
    text = json.dumps(seen, default=str)
    assert str(SENTINEL) not in text and "select_score" not in text and "test_score" not in text
    assert env.search.journal.get(1).status == NodeStatus.GOOD
    react_run = env.run_dir
    env.close()

    single = make("digits", runs_dir=tmp_path)  # the env's mode applies over the source's
    obs, _ = single.reset(options={"start": (react_run, 1)})
    assert "messages" not in obs and "ACTION:" not in obs["user"]
    single.close()


def test_a_reply_after_react_time_s_is_not_acted_on_and_the_folder_is_graded(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=1, react_time_s=2.0)
    env.reset()
    assert env.step(WRITE.format(code=SOLUTION.format(c=0.5)))[3] is False
    time.sleep(2.1)
    obs, _, _, truncated, info = env.step(SUBMIT)
    assert truncated and info["late"] and info["status"] == "good" and info["turn"] == 1
    node = env.search.journal.get(info["node_id"])
    assert node.plan == "(ReAct stopped after 1 turns: no submit)"
    assert len(conversation(obs)) == 4  # the late reply is not in the conversation
    env.close()


def test_a_group_rollout_from_a_react_node_takes_single_answer_steps(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=1)
    env.reset()
    env.step(WRITE.format(code=SOLUTION.format(c=0.5)))
    info = env.step(SUBMIT)[4]
    run_dir = env.run_dir
    env.close()
    seen = []

    def policy(observation, k):
        seen.append(observation)
        return [answer(1.0), "no code"]

    start = StartState(run_dir, info["node_id"], StartKind.CONTINUE)
    group = rollout_group(start, policy, 2, runs_dir=tmp_path, workers=1)
    assert "messages" not in seen[0] and "ACTION:" not in seen[0]["user"]
    assert [a.info["status"] for a in group.attempts] == ["good", "buggy"]


def test_a_react_node_exports_the_conversation_it_was_written_in(tmp_path):
    """Datasets pair a ReAct node with its own transcript, not a one-answer prompt."""
    from airlab.report.datasets import RunNodes, rl_records

    env = react_env(tmp_path, operator="draft", max_steps=1)
    obs, _ = env.reset()
    opening = conversation(obs)
    for action in (WRITE.format(code=SOLUTION.format(c=0.5)), SHELL, SUBMIT):
        *_, info = env.step(action)
    run_dir, node_id = env.run_dir, info["node_id"]
    env.close()
    run = RunNodes.load(run_dir)
    assert run.prompts[node_id] == opening
    replies = run.replies[node_id]
    assert [m["role"] for m in replies] == ["assistant", "user"] * 2 + ["assistant"]
    assert (
        replies[0]["content"].startswith("A logistic regression.")
        and SUBMIT in replies[-1]["content"]
    )
    assert all(set(m) <= {"role", "content", "tool_calls", "tool_call_id"} for m in replies)
    [step] = [r for r in rl_records(run) if r["metadata"]["node_id"] == node_id]
    assert step["observation"] == opening and step["action_messages"] == replies
    assert "C=0.5" in step["action"] and step["metadata"]["prompt_recorded"]


def native_call(name, call_id=None, **arguments):
    call = {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return {"id": call_id, **call} if call_id else call


def test_native_tool_calls_write_run_and_submit(tmp_path):
    env = react_env(tmp_path, operator="draft", max_steps=1, react_tools="native")
    text_env = react_env(tmp_path / "text", operator="draft", max_steps=1)
    assert [t["function"]["name"] for t in env.tools()][-1] == "submit" and text_env.tools() == []
    text_env.close()
    obs, _ = env.reset()
    assert "ACTION:" not in conversation(obs)[0]["content"]  # the native system prompt
    code = SOLUTION.format(c=0.5)
    write = {
        "role": "assistant",
        "content": "Write it.",
        "tool_calls": [native_call("write_file", "w1", path="solution.py", content=code)],
    }
    obs, reward, _, truncated, info = env.step(write)
    assert info["tool"] == "write_file" and not truncated and reward == 0.0
    said = conversation(obs)[-2:]
    assert said[0]["tool_calls"][0]["id"] == "w1"
    assert said[0]["tool_calls"][0]["function"]["name"] == "write_file"
    assert said[1] == {
        "role": "tool",
        "tool_call_id": "w1",
        "content": "wrote solution.py (10 lines)",
    }
    # as JSON text, a flat call without id: it gets one; text alone calls no tool
    run = json.dumps(
        {
            "content": "",
            "tool_calls": [{"name": "shell", "arguments": {"command": "python solution.py"}}],
        }
    )
    obs, _, _, _, info = env.step(run)
    last = conversation(obs)[-1]
    assert info["tool"] == "shell" and last["role"] == "tool" and last["tool_call_id"] == "call_2_0"
    assert last["content"].startswith("exit code 0")
    obs, _, _, _, info = env.step("I will think in plain text.")
    assert info["tool"] is None and "No tool was called" in conversation(obs)[-1]["content"]
    submit = {"content": "", "tool_calls": [native_call("submit", plan="Logistic regression.")]}
    obs, reward, _, truncated, info = env.step(submit)
    assert truncated and info["submitted"] and info["status"] == "good" and reward > -0.5
    node = env.search.journal.get(info["node_id"])
    assert node.meta["react"]["tools"] == "native" and node.plan == "Logistic regression."
    assert "C=0.5" in node.code
    env.close()
