"""Agents run end to end: a copy of the packaged greedy agent makes the same run as the flags,
its name and hash are in the header, the journal and result.json, a chat model is shown the
agent's own prompt, and a sweep runs agents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airlab.agents import content_hash, copy_agent
from airlab.cli import app
from airlab.errors import ConfigError
from airlab.journal import Journal
from airlab.runner.sweep import Sweep
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request
from airlab.testing.tasks import tiny_answer

pytestmark = pytest.mark.slow

runner = CliRunner()
SAME = ("--steps", "3", "--workers", "1", "--seed", "7", "--no-lookahead", "--time-limit", "60")


def airlab(*args: str):
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def nodes_of(run_dir: Path) -> list[tuple]:
    with Journal.open(run_dir / "journal.sqlite") as journal:
        nodes = journal.nodes()
    return [(n.operator, n.parent_ids, n.code, n.search_score, n.status.value) for n in nodes]


def test_a_copy_of_the_greedy_agent_makes_the_same_run_as_the_flags(make_task, tmp_path):
    task = str(make_task())
    agent = copy_agent("greedy", tmp_path / "my-agent")
    runs = str(tmp_path / "runs")
    by_agent = airlab("run", "--agent", str(agent), "-t", task, *SAME, "--runs-dir", runs,
                      "--name", "a")  # fmt: skip
    by_flags = airlab("run", "-t", task, *SAME, "--runs-dir", runs, "--name", "b")
    assert by_agent.exit_code == 0, by_agent.output
    assert by_flags.exit_code == 0, by_flags.output
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    assert len(nodes_of(a)) == 3 and nodes_of(a) == nodes_of(b)

    digest = content_hash(agent)
    assert f"agent greedy · sha256 {digest[:12]}" in by_agent.output
    result = json.loads((a / "result.json").read_text())
    assert result["agent"] == "greedy" and result["agent_hash"] == digest
    assert json.loads((b / "result.json").read_text())["agent_hash"] is None
    with Journal.open(a / "journal.sqlite") as journal:
        recorded = journal.get_meta("agent")
        config = journal.get_meta("config")
    assert recorded["name"] == "greedy" and recorded["hash"] == digest
    assert config["budget"]["steps"] == 3 and config["seed"] == 7  # the flags, over the agent
    assert content_hash(a / "agent") == digest  # the run keeps the agent it ran


def test_an_unknown_key_stops_the_run_in_one_line(make_task, tmp_path):
    agent = copy_agent("greedy", tmp_path / "my-agent")
    text = (agent / "agent.yaml").read_text().replace("fitness:", "fitnes:")
    (agent / "agent.yaml").write_text(text)
    with pytest.raises(ConfigError, match="unknown field 'fitnes'; did you mean 'fitness'"):
        airlab("run", "--agent", str(agent), "-t", str(make_task()), "--runs-dir",
               str(tmp_path / "runs"))  # fmt: skip
    assert not (tmp_path / "runs").exists()


def test_a_chat_model_is_shown_the_agents_prompt(make_task, tmp_path):
    agent = copy_agent("greedy", tmp_path / "my-agent")
    (agent / "prompts").mkdir()
    (agent / "prompts" / "draft.j2").write_text(
        '{% include "_task.j2" %}\nAGENT-PROMPT-MARK\n{% include "_answer_format.j2" %}\n'
    )

    def respond(request: Request) -> Reply:
        return Reply(text=tiny_answer(1.0))

    with FakeLLMServer(respond) as server:
        result = airlab(
            "run", "--agent", str(agent), "-t", str(make_task()), "--steps", "1",
            "-b", f"openai-compatible/fake@{server.openai_url}", "-B", "timeout_s=20",
            "-O", "analysis=false", "--no-preflight", "--runs-dir", str(tmp_path / "runs"),
            "--name", "chat",
        )  # fmt: skip
        prompts = [r.last_user for r in server.requests]
    assert result.exit_code == 0, result.output
    assert len(prompts) == 1 and "AGENT-PROMPT-MARK" in prompts[0]
    calls = (tmp_path / "runs" / "chat" / "llm_calls.jsonl").read_text().splitlines()
    assert "AGENT-PROMPT-MARK" in json.loads(calls[0])["messages"][-1]["content"]


def test_a_sweep_runs_agents(make_task, tmp_path):
    task = str(make_task())
    mine = copy_agent("greedy", tmp_path / "mine")
    text = (mine / "agent.yaml").read_text().replace("name: greedy", "name: mine", 1)
    (mine / "agent.yaml").write_text(text)
    refused = runner.invoke(app, ["sweep", "-t", task, "--agent", str(mine), "-p", "mcts"])
    assert isinstance(refused.exception, ConfigError)
    result = airlab(
        "sweep", "-t", task, "--agent", str(mine), "--agent", "mcts", "--steps", "2",
        "--workers", "2", "--time-limit", "60", "--sweeps-dir", str(tmp_path / "sweeps"),
        "--name", "s",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "sweeps" / "s" / "sweep.json").read_text())
    assert {run["agent"] for run in manifest["runs"].values()} == {"mine", "mcts"}
    assert {run["status"] for run in manifest["runs"].values()} == {"complete"}
    for name, policy in (("tiny-mine-s0", "greedy"), ("tiny-mcts-s0", "mcts")):
        run_dir = tmp_path / "sweeps" / "s" / "runs" / name
        result_json = json.loads((run_dir / "result.json").read_text())
        assert result_json["policy"] == policy and result_json["nodes"] == 2
        assert result_json["agent_hash"] == content_hash(run_dir / "agent")
    # an agent edited after the sweep began is refused for a run still to start
    sweep = Sweep.open(tmp_path / "sweeps" / "s")
    cell = next(s.cell for s in sweep.states.values() if s.cell.agent.name == "mine")
    assert sweep.agent_for(cell).content_hash == cell.agent.hash
    (mine / "agent.yaml").write_text(text.replace("steps: 20", "steps: 21"))
    with pytest.raises(ConfigError, match="changed since this sweep began"):
        sweep.agent_for(cell)
