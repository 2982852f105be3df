"""An agent's `prompts/` overrides the packaged templates, in a sandboxed Jinja environment: a
broken or escaping override is one line at load time naming the file and line, before any model
call; a good one is what the model is shown, also after a resume."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError

from airlab.agents import copy_agent, load_agent, with_agent
from airlab.backends.base import ChatModel, Completion, Message, Usage
from airlab.errors import ConfigError
from airlab.operators import OPERATORS
from airlab.operators.prompt_library import (
    PROMPTS_DIR,
    TEMPLATE_VARIABLES,
    PromptLibrary,
    check_template,
)
from airlab.runner.config import load_config
from airlab.runner.search import Search

DRAFT = """{% include "_task.j2" %}

MY-OWN-DRAFT-PROMPT for {{ task.name }}: try {{ approaches_tried | length }} new things.

{% include "_answer_format.j2" %}
"""


class Recorder(ChatModel):
    """A scripted chat model that keeps every prompt it is shown."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[list[Message]] = []

    def complete(self, messages, *, purpose=""):
        self.seen.append(list(messages))
        return Completion("Plan.\n```python\nprint(1)\n```", Usage(1, 1, 0.0, 1), "r")


def agent_with(tmp_path: Path, **prompts: str) -> Path:
    root = copy_agent("greedy", tmp_path / "mine")
    (root / "prompts").mkdir()
    for name, text in prompts.items():
        (root / "prompts" / name).write_text(text)
    return root


def test_packaged_templates_are_given_what_they_use():
    """The table of variables covers every packaged template (so an override of it may use
    anything its packaged version does), and every template is in it."""
    packaged = {path.name for path in PROMPTS_DIR.glob("*.j2")}
    assert packaged == set(TEMPLATE_VARIABLES)
    for name in sorted(packaged):
        check_template(PROMPTS_DIR / name)


def test_the_override_is_what_the_model_is_shown_also_after_a_resume(make_task, tmp_path):
    agent = load_agent(agent_with(tmp_path, **{"draft.j2": DRAFT}))
    config = load_config(
        with_agent(agent, {"task": str(make_task()), "runs_dir": str(tmp_path / "runs")})
    )
    search = Search.create(config, agent)
    assert search.journal.get_meta("agent")["hash"] == agent.content_hash
    shutil.rmtree(agent.root)  # the run keeps its own copy
    copied = search.folder.agent / "prompts" / "draft.j2"
    copied.write_text(DRAFT.replace("MY-OWN", "EDITED"))
    with pytest.raises(ConfigError, match="changed since the run began"):
        Search.open(search.folder.root)
    copied.write_text(DRAFT)
    reopened = Search.open(search.folder.root)
    assert reopened.prompts.overrides == ("draft.j2",)
    proposal = reopened.ask()
    assert proposal is not None and proposal.node.operator == "draft"
    chat = Recorder()
    OPERATORS.get("draft").apply(replace(proposal.context, backend=chat))
    system, user = chat.seen[0]
    assert "MY-OWN-DRAFT-PROMPT for tiny: try 0 new things." in user.content
    assert "# Task: A tiny task" in user.content  # the packaged partial, included
    packaged = (PROMPTS_DIR / "system.j2").read_text().split()[:8]
    assert system.content.split()[:8] == packaged


def test_a_run_without_an_agent_renders_the_packaged_prompt(make_task, tmp_path):
    config = load_config({"task": str(make_task()), "runs_dir": str(tmp_path / "runs")})
    search = Search.create(config)
    proposal = search.ask()
    chat = Recorder()
    OPERATORS.get("draft").apply(replace(proposal.context, backend=chat))
    assert "MY-OWN-DRAFT-PROMPT" not in chat.seen[0][1].content
    assert "# Your step: draft a new solution" in chat.seen[0][1].content


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("draft.j2", "line one\n{% if task %}\nno end\n", ["draft.j2:", "syntax error"]),
        (
            "draft.j2",
            "{{ task.name }}\n\n{{ taks.metric }}\n",
            ["draft.j2:3: unknown variable 'taks'", "did you mean 'task'?"],
        ),
        ("improve.j2", "{{ fix_chain }}\n", ["improve.j2:1: unknown variable 'fix_chain'"]),
        ("system.j2", "ok\n{{ ''.__class__.__mro__ }}\n", ["system.j2:2:", "'__mro__'"]),
        ("system.j2", "{{ task['__class__'] }}\n", ["'__class__' is not allowed"]),
        ("system.j2", "{{ '' | attr('__class__') }}\n", ["'__class__' is not allowed"]),
        ("drafts.j2", "x\n", ["overrides no packaged prompt", "did you mean 'draft.j2'?"]),
        ("draft.j2", '{% include "secret.txt" %}\n', ["includes 'secret.txt'"]),
        ("notes.txt", "x\n", ["not a prompt template"]),
    ],
)
def test_a_bad_override_is_one_line_at_load_time(tmp_path, name, text, fragments):
    root = agent_with(tmp_path, **{name: text})
    with pytest.raises(ConfigError) as caught:
        load_agent(root)
    message = str(caught.value)
    assert "\n" not in message and str(root / "prompts" / name) in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''|attr('__class__') }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_the_sandbox_stops_an_escape_even_unchecked(tmp_path, escape):
    """Past the load-time check (a file written after loading), rendering still refuses (each
    of these renders in a plain Jinja environment)."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    library = PromptLibrary(folder)
    (folder / "system.j2").write_text(escape + "\n")
    with pytest.raises(SecurityError):
        library.render("system.j2", task={"name": "x"})
