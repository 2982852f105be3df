"""`airlab evolve view`: the archive as a tree in one HTML file, every member in it, invalid
ones marked with their reason, and what each child changed read from its files."""

from __future__ import annotations

import json
import re

from fake_evaluator import FormulaEvaluator
from typer.testing import CliRunner

from airlab.backends import ChatModel, Completion, Usage
from airlab.cli import app
from airlab.evolve import EvolveSettings, evolve
from airlab.evolve.meta_llm import LLMMeta
from airlab.evolve.view import VIEW_FILE, changes


class ScriptedChat(ChatModel):
    name = "scripted-chat"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)

    def complete(self, messages, *, purpose=""):
        return Completion(self.answers.pop(0), usage=Usage(calls=1))


def _edit(field: str, value) -> str:
    return json.dumps(
        [{"file": "agent.yaml", "action": "set_field", "field": field, "value": value}]
    )


def _data(page: str) -> dict:
    body = re.search(r'<script type="application/json" id="airlab-data">(.*?)</script>', page, re.S)
    assert body is not None
    return json.loads(body.group(1))


def test_the_page_holds_every_member_and_marks_invalid_ones(tmp_path):
    answers = [
        _edit("policy.params.num_drafts", 3),
        _edit("models.default", "openai:gpt-5-pro"),  # invalid: a child may not change models
        "no edits here",  # invalid: no JSON list
        _edit("policy.params.debug_prob", 0.25),
    ]
    folder = tmp_path / "evo"
    members = evolve(
        folder,
        EvolveSettings(
            agent="greedy-hyper",
            tasks=["a", "b"],
            generations=2,
            children=2,
            meta_backend="scripted",
        ),
        evaluator=FormulaEvaluator(),
        meta_agent=LLMMeta(ScriptedChat(answers), "scripted"),
    )
    result = CliRunner().invoke(app, ["evolve", "view", str(folder)])
    assert result.exit_code == 0, result.output
    page = (folder / VIEW_FILE).read_text()
    assert "<script>" in page and "__AIRLAB_" not in page  # assets and data inlined
    data = _data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {m.id for m in members}
    for member in members:
        node = nodes[member.id]
        assert (node["state"], node["generation"], node["parent"]) == (
            member.state.value,
            member.generation,
            member.parent,
        )
        assert node["valid"] == member.valid and node["reason"] == member.reason
    invalid = [n for n in data["nodes"] if n["state"] == "invalid"]
    assert len(invalid) == 2 and all(n["reason"] and n["score"] is None for n in invalid)
    assert any("models changed" in n["reason"] for n in invalid)
    unparsed = next(n for n in invalid if "no JSON list" in n["reason"])
    assert unparsed["meta_answer"] == "no edits here"  # shown beside its reason
    first = nodes[1]
    assert first["changes"] == ["agent.yaml: policy.params.num_drafts 5 → 3"]
    assert first["diff_added"] >= 1 and "num_drafts" in first["diff_html"]
    assert first["score"] is not None and first["ci_low"] <= first["score"] <= first["ci_high"]
    assert sum(n["is_best"] for n in data["nodes"]) == 1
    assert {(e["source"], e["target"]) for e in data["edges"]} == {
        (m.parent, m.id) for m in members if m.parent is not None
    }


def test_viewing_a_folder_without_an_archive_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["evolve", "view", str(tmp_path)])
    assert result.exit_code != 0 and "no evolve archive to view" in str(result.exception)


def test_changes_name_yaml_fields_and_count_prompt_lines():
    before = {"agent.yaml": "policy:\n  params:\n    a: 1\n", "prompts/x.j2": "one\n"}
    after = {
        "agent.yaml": "# a comment\npolicy:\n  params:\n    a: 2\n    b: true\n",
        "prompts/x.j2": "one\ntwo\n",
        "prompts/y.j2": "new\n",
    }
    assert changes(before, after) == [
        "agent.yaml: policy.params.a 1 → 2",
        "agent.yaml: policy.params.b (unset) → true",
        "prompts/x.j2 (+1 −0)",
        "prompts/y.j2 added",
    ]
    assert changes(before, {**before, "agent.yaml": "# c\n" + before["agent.yaml"]}) == [
        "agent.yaml: comments or layout only"
    ]
