"""Untrusted children: an LLM meta agent's child that buys another model, raises its budget or
writes a prompt that reaches beyond its variables is an invalid child with the rule as reason,
never evaluated; the offline meta agent never writes such a child."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fake_evaluator import FormulaEvaluator

from airlab.agents import load_agent
from airlab.agents.meta import MetaSpec
from airlab.backends import ChatModel, Completion, Usage
from airlab.evolve import EvolveSettings, MemberState, evolve
from airlab.evolve.archive import Member
from airlab.evolve.edits import apply_edits, read_files, write_files
from airlab.evolve.meta import MetaRequest
from airlab.evolve.meta_llm import LLMMeta
from airlab.evolve.meta_offline import OfflineMeta
from airlab.evolve.rules import check_rules

SEED = read_files(load_agent("greedy-hyper").root)


class ScriptedChat(ChatModel):
    name = "scripted-chat"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)

    def complete(self, messages, *, purpose=""):
        return Completion(self.answers.pop(0), usage=Usage(calls=1))


def _field(field: str, value, file: str = "agent.yaml") -> str:
    return json.dumps([{"file": file, "action": "set_field", "field": field, "value": value}])


def _prompt(content: str, file: str = "prompts/system.j2") -> str:
    return json.dumps([{"file": file, "action": "replace", "content": content}])


PLANTED = [
    (_field("models.default", "openai:gpt-5-pro"), "models changed"),
    (_field("models.draft", "anthropic/claude-opus"), "models changed"),
    (_field("budget.steps", 10000), "budget.steps raised to 10000"),
    (_field("budget", None), None),  # no budget: the run's 2 steps, below the seed's 20
    (_field("budget.time_s", None), None),
    (_field("budget.tokens", 10**9), None),  # the seed sets no token limit: any is below none
    (_prompt("{% include '/etc/passwd' %}"), "includes '/etc/passwd'"),
    (_prompt("{% include '/etc/' ~ 'passwd' %}"), "computed template name"),
    (_prompt("{% import '/etc/passwd' as p %}"), "includes '/etc/passwd'"),
    (_prompt("{{ task.__class__ }}", "prompts/draft.j2"), "'__class__' is not allowed"),
    (_prompt("{{ task|attr('__globals__') }}", "prompts/draft.j2"), "'__globals__'"),
    (_prompt("{{ task['__cl' ~ 'ass__'] }}", "prompts/draft.j2"), "computed item key"),
    (_prompt("{{ lipsum.__globals__ }}", "prompts/draft.j2"), "not allowed"),
    (_prompt("{{ secret_answers }}", "prompts/draft.j2"), "unknown variable 'secret_answers'"),
    (_field("model", {"backend": "openai/gpt-5-pro"}, "meta/meta.yaml"), "model changed"),
]


def _run(tmp_path, answers: list[str], **fields):
    evaluator = FormulaEvaluator()
    data = {"agent": "greedy-hyper", "tasks": ["a"], "generations": 1, "children": len(answers)}
    members = evolve(
        tmp_path / "evo",
        EvolveSettings(**{**data, "self_modify": True, "meta_backend": "scripted", **fields}),
        evaluator=evaluator,
        meta_agent=LLMMeta(ScriptedChat(answers), "scripted"),
    )
    return members, evaluator


def test_planted_escalations_are_invalid_children_never_evaluated(tmp_path):
    members, evaluator = _run(tmp_path, [answer for answer, _ in PLANTED])
    assert {m.parent for m in members[1:]} == {0}  # one generation: every child is the seed's
    for member, (answer, reason) in zip(members[1:], PLANTED, strict=True):
        if reason is None:
            assert member.state == MemberState.EVALUATED, (answer, member.reason)
            continue
        assert member.state == MemberState.INVALID, answer
        assert reason in member.reason and "\n" not in member.reason, member.reason
        assert f"{member.id:04d}" not in {name for name, _ in evaluator.evaluated}
        assert f"{member.id:04d}" not in evaluator.smoked  # refused before anything runs


def test_model_edits_pass_only_when_the_archive_allows_them(tmp_path):
    answer = _field("models.default", "openai:gpt-5-pro")
    members, _ = _run(tmp_path / "no", [answer])
    assert members[1].state == MemberState.INVALID and "--allow-model-edits" in members[1].reason
    members, _ = _run(tmp_path / "yes", [answer], allow_model_edits=True)
    assert members[1].reason == "" and members[1].state == MemberState.EVALUATED


def test_a_lower_budget_is_allowed_and_the_run_steps_cap_a_seed_without_steps():
    settings = EvolveSettings(agent="x", tasks=["a"], generations=1, children=1, steps=3)
    lower = apply_edits(SEED, [_edit(_field("budget.steps", 5))], self_modify=False)
    assert check_rules(SEED, lower, settings) is None
    bare = {**SEED, "agent.yaml": SEED["agent.yaml"].replace("budget:\n  steps: 20\n", "")}
    assert "budget:" not in bare["agent.yaml"]
    four = apply_edits(bare, [_edit(_field("budget.steps", 4))], self_modify=False)
    assert "budget.steps raised to 4 above the seed's 3" in check_rules(bare, four, settings)


def _edit(text: str):
    from airlab.evolve.edits import parse_edits

    return parse_edits(text)[0]


@pytest.mark.parametrize("self_modify", [False, True])
def test_the_offline_meta_agent_never_writes_a_child_that_breaks_a_rule(tmp_path, self_modify):
    settings = EvolveSettings(agent="greedy-hyper", tasks=["a"], generations=1, children=1)
    meta = OfflineMeta()
    rng = np.random.default_rng(7)
    files = SEED
    for draw in range(100):  # 2 x 100 seeded draws along random walks from the seed
        spec = MetaSpec.model_validate(_meta(files))
        request = MetaRequest(
            parent=Member(id=0, generation=0, slot=0, parent=None, state=MemberState.VALID),
            child_id=draw + 1,
            files=files,
            meta=spec,
            self_modify=self_modify,
            seed=int(rng.integers(1000)),
            evidence={},
        )
        child = apply_edits(files, meta.propose(request, None).edits, self_modify)
        assert check_rules(SEED, child, settings) is None
        if draw % 10 == 0:  # and it is an agent (a sample: loading checks every plug-in)
            load_agent(write_files(child, tmp_path / f"c{draw}"))
        files = child if rng.random() < 0.7 else SEED


def _meta(files: dict[str, str]) -> dict:
    import yaml

    return yaml.safe_load(files["meta/meta.yaml"])


@pytest.mark.parametrize("writer", ["templates", "openai/gpt-4o-mini"])
def test_the_offline_meta_agent_only_draws_edits_the_writing_backend_can_feel(writer):
    """The templates backend reads no prompt and only the memory and diversity options: a child
    of a templates agent that edits anything else would score exactly as its parent (the
    benchmark saw whole archives of identical scores). A prompt-reading agent keeps them all."""
    from airlab.evolve.edits import Replace, SetField

    files = {
        **SEED,
        "agent.yaml": SEED["agent.yaml"].replace("default: templates", f"default: {writer}"),
    }
    assert f"default: {writer}" in files["agent.yaml"]
    meta = OfflineMeta()
    touched: set[str] = set()
    for draw in range(120):
        request = MetaRequest(
            parent=Member(id=0, generation=0, slot=0, parent=None, state=MemberState.VALID),
            child_id=draw + 1,
            files=files,
            meta=MetaSpec.model_validate(_meta(files)),
            self_modify=False,
            seed=draw,
            evidence={},
        )
        for edit in meta.propose(request, None).edits:
            if isinstance(edit, SetField):
                touched.add(edit.field)
            elif isinstance(edit, Replace):
                touched.add(edit.file)
    options = {t for t in touched if t.startswith("operators.options.")}
    if writer == "templates":
        assert options == {"operators.options.memory", "operators.options.diversity"}
        assert "prompts/system.j2" not in touched
    else:
        assert {"operators.options.memory", "prompts/system.j2"} <= touched
        assert len(options) > 2
    assert any(t.startswith("policy.params.") for t in touched)
