"""Agent folders: the schema (one-line errors with a "did you mean"), the packaged agents, the
content hash, and how an agent and a run's own settings layer into one configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from airlab.agents import (
    AGENT_FILE,
    content_hash,
    copy_agent,
    load_agent,
    packaged_agents,
    with_agent,
)
from airlab.errors import ConfigError
from airlab.operators.prompt_library import PACKAGED, TEMPLATE_VARIABLES
from airlab.policies import POLICIES
from airlab.runner.config import load_config

PLAIN = ("greedy", "mcts", "evolutionary", "llm_first")
"""Packaged agents that are exactly `--policy NAME` with every other flag at its default."""


def write_agent(root: Path, **fields) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"schema": 1, "name": "mine", **fields}
    (root / AGENT_FILE).write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def test_every_packaged_agent_loads():
    names = packaged_agents()
    assert {*PLAIN, "aide", "aira-greedy", "aira-mcts", "aira-evo"} <= set(names)
    for name in names:
        agent = load_agent(name)
        assert agent.name == name
        assert len(agent.content_hash) == 64


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_packaged_agent_is_its_policy_flag(name):
    """The same effective run as `--policy NAME`, the label aside."""
    agent = load_agent(name)
    by_agent = load_config(with_agent(agent, {"task": "digits"}))
    by_flags = load_config({"task": "digits", "policy": name})
    assert by_agent.agent == name
    params = [POLICIES.parse_params(name, c.policy_params) for c in (by_agent, by_flags)]
    assert params[0] == params[1]
    rest = {"agent", "policy_params"}
    assert by_agent.model_dump(exclude=rest) == by_flags.model_dump(exclude=rest)


def test_flags_override_the_agent_and_another_policy_drops_its_params(tmp_path):
    agent = load_agent(
        write_agent(
            tmp_path / "a",
            policy={"name": "greedy", "params": {"num_drafts": 2, "debug_prob": 1.0}},
            operators={"set": "extended", "options": {"memory": False}},
            models={"default": {"backend": "templates", "options": {"bug_rate": 0.5}}},
            budget={"steps": 7, "time_s": 60},
            fitness="self_reported",
        )
    )
    layered = load_config(
        with_agent(
            agent,
            {"task": "digits", "policy_params": {"num_drafts": 3}, "budget": {"steps": 4}},
        )
    )
    assert layered.policy_params == {"num_drafts": 3, "debug_prob": 1.0}
    assert layered.budget.steps == 4 and layered.budget.time_s == 60
    assert layered.operators == "extended" and layered.operator_options == {"memory": False}
    assert layered.backend_options == {"bug_rate": 0.5}
    assert layered.selection.fitness == "self_reported"
    other = load_config(with_agent(agent, {"task": "digits", "policy": "mcts", "backend": "x/y"}))
    assert other.policy == "mcts" and other.policy_params == {}
    assert other.backend_options == {}


def test_models_per_purpose_become_routes(tmp_path):
    agent = load_agent(
        write_agent(
            tmp_path / "a",
            models={
                "default": "openai/gpt-4o",
                "analysis": {"backend": "openai/gpt-4o-mini", "options": {"temperature": 0}},
                "debug": {"options": {"temperature": 0.2}},
            },
        )
    )
    config = load_config(with_agent(agent, {"task": "digits"}))
    assert config.backend == "openai/gpt-4o"
    assert config.models == {"analysis": "openai/gpt-4o-mini"}
    assert config.model_options == {"analysis": {"temperature": 0}, "debug": {"temperature": 0.2}}


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        ({"polcy": {"name": "greedy"}}, ["unknown field 'polcy'", "did you mean 'policy'?"]),
        ({"budget": {"step": 3}}, ["unknown field 'budget.step'", "did you mean 'steps'?"]),
        (
            {"models": {"default": {"backend": "templates", "option": {}}}},
            ["'models.default.option'", "did you mean 'options'?"],
        ),
        (
            {"policy": {"name": "greedy", "params": {"num_draft": 2}}},
            ["unknown parameter 'num_draft'", "did you mean 'num_drafts'?"],
        ),
        ({"policy": {"name": "gredy"}}, ["unknown policy 'gredy'", "did you mean 'greedy'?"]),
        (
            {"operators": {"set": "aide", "options": {"memroy": False}}},
            ["unknown operator option 'memroy'", "did you mean 'memory'?"],
        ),
        (
            {"operators": {"set": "aide", "options": {"edit_format": "patch"}}},
            ["edit_format", "'patch'"],
        ),
        ({"models": {"analyse": "templates"}}, ["unknown purpose 'analyse'", "'analysis'?"]),
        ({"schema": 2}, ["field 'schema'"]),
        ({"fitness": "best"}, ["field 'fitness'"]),
    ],
)
def test_a_bad_agent_yaml_is_one_line_naming_the_file(tmp_path, fields, fragments):
    root = write_agent(tmp_path / "a", **fields)
    with pytest.raises(ConfigError) as caught:
        load_agent(root)
    message = str(caught.value)
    assert "\n" not in message
    assert str(root / AGENT_FILE) in message
    for fragment in fragments:
        assert fragment in message, message


def test_an_agent_folder_takes_the_edit_format(tmp_path):
    root = write_agent(
        tmp_path / "a", operators={"set": "aide", "options": {"edit_format": "diff"}}
    )
    assert load_agent(root).spec.operators.options == {"edit_format": "diff"}


def test_an_unknown_agent_name_suggests_a_packaged_one():
    with pytest.raises(ConfigError, match="did you mean 'greedy'"):
        load_agent("gredy")


def test_content_hash_follows_every_file(tmp_path):
    copied = copy_agent("greedy", tmp_path / "mine")
    assert content_hash(copied) == load_agent("greedy").content_hash
    before = content_hash(copied)
    prompts = copied / "prompts"
    prompts.mkdir()
    (prompts / "system.j2").write_text("You write Python.\n")
    with_prompt = content_hash(copied)
    assert with_prompt != before
    (prompts / "system.j2").write_text("You write Python!\n")
    assert content_hash(copied) not in (before, with_prompt)
    (prompts / "system.j2").write_text("You write Python.\n")
    assert content_hash(copied) == with_prompt
    (prompts / "system.j2").rename(prompts / "draft.j2")
    assert content_hash(copied) != with_prompt
    (copied / "__pycache__").mkdir()
    (copied / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (copied / ".DS_Store").write_bytes(b"\0")
    assert content_hash(copied) == content_hash(copied / ".." / "mine")


def test_copy_refuses_an_existing_folder(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        copy_agent("greedy", tmp_path / "taken")


def test_agent_commands_list_show_and_copy(tmp_path):
    from typer.testing import CliRunner

    from airlab.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["agent", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    for name in packaged_agents():
        assert name in listed.output
    destination = tmp_path / "mine"
    copied = runner.invoke(app, ["agent", "copy", "aira-greedy", str(destination), "--prompts"])
    assert copied.exit_code == 0, copied.output
    assert {p.name for p in (destination / "prompts").iterdir()} == set(TEMPLATE_VARIABLES)
    shown = runner.invoke(app, ["agent", "show", str(destination)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert f"sha256 {content_hash(destination)}" in shown.output
    assert (
        "name: aira-greedy" in shown.output
        and "prompt overrides: _answer_format.j2" in shown.output
    )
    # the copied prompts are the packaged ones: the copy's prompts render the same
    assert load_agent(destination).prompts().render("system.j2") == PACKAGED.render("system.j2")


def test_the_examples_in_docs_agents_md_load(tmp_path):
    import re

    text = (Path(__file__).parents[2] / "docs" / "agents.md").read_text()
    agent_yaml, meta_yaml = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)[:2]
    root = tmp_path / "example"
    (root / "meta" / "prompts").mkdir(parents=True)
    (root / AGENT_FILE).write_text(agent_yaml)
    (root / "meta" / "meta.yaml").write_text(meta_yaml)
    (root / "meta" / "prompts" / "edit.j2").write_text("Make {{ edits }} edit(s).\n")
    agent = load_agent(root)
    assert agent.name == "my-agent" and agent.meta is not None
    assert agent.spec.run_fields()["models"] == {"analysis": "openai/gpt-4o-mini"}
