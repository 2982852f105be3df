"""The loop: a durable archive, parents drawn only from valid members, staged evaluation,
self-modification that changes how the next generation is made, invalid LLM edits recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_evaluator import FormulaEvaluator

from airlab.backends import ChatModel, Completion, Usage
from airlab.errors import ConfigError, RunLockedError
from airlab.evolve import Archive, EvolveSettings, MemberState, evolve
from airlab.evolve.edits import SetField
from airlab.evolve.meta import Proposal
from airlab.evolve.meta_llm import LLMMeta
from airlab.evolve.meta_offline import OfflineMeta
from airlab.runner.lock import RunLock

HERE = Path(__file__).parent


def settings(**fields) -> EvolveSettings:
    data = {"agent": "greedy-hyper", "tasks": ["a", "b"], "generations": 3, "children": 2}
    return EvolveSettings(**{**data, **fields})


def signature(members):
    return [(m.id, m.generation, m.parent, m.state, m.content_hash, m.score) for m in members]


def test_three_generations_of_two_children_make_a_complete_archive(tmp_path):
    evaluator = FormulaEvaluator()
    members = evolve(tmp_path / "evo", settings(self_modify=True), evaluator=evaluator)
    assert len(members) == 1 + 3 * 2
    assert all(m.state.final for m in members)
    assert [m.generation for m in members] == [0, 1, 1, 2, 2, 3, 3]
    by_id = {m.id: m for m in members}
    for child in members[1:]:
        parent = by_id[child.parent]
        assert parent.generation < child.generation and parent.valid  # never an invalid parent
        if child.valid:
            assert child.patch.strip() and child.content_hash != parent.content_hash
            assert child.score is not None and child.ci_low <= child.score <= child.ci_high
            assert {r.task for r in child.results} == {"a", "b"}
    hashes = [m.content_hash for m in members if m.valid]
    assert len(hashes) == len(set(hashes))  # duplicates never reach evaluation
    evaluated = {name for name, _ in evaluator.evaluated}
    assert evaluated == {f"{m.id:04d}" for m in members if m.valid}
    with Archive.open(tmp_path / "evo") as archive:
        assert archive.settings().children == 2


@pytest.mark.slow
def test_an_archive_killed_mid_generation_resumes_to_the_same_archive(tmp_path):
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from fake_evaluator import FormulaEvaluator;"
        "from airlab.evolve import EvolveSettings, evolve;"
        "evolve(Path(sys.argv[1]), EvolveSettings(agent='greedy-hyper', tasks=['a', 'b'],"
        " generations=3, children=2, self_modify=True), evaluator=FormulaEvaluator(0.3))"
    )
    folder = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", script, str(folder), str(HERE)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (folder / "archive.sqlite").is_file():
                with Archive.open(folder) as archive:
                    if any(m.generation >= 1 and m.state.final for m in archive.members()):
                        break
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    with Archive.open(folder) as archive:
        stored = archive.members()
    assert 2 <= len(stored) < 7  # killed after the first child, before the end

    resumed = evolve(folder, None, evaluator=FormulaEvaluator())  # the stored settings
    whole = evolve(tmp_path / "whole", settings(self_modify=True), evaluator=FormulaEvaluator())
    assert signature(resumed) == signature(whole)
    assert signature(resumed)[: len(stored) - 1] == signature(stored)[: len(stored) - 1]


def test_one_driver_per_folder_and_settings_are_kept(tmp_path):
    folder = tmp_path / "evo"
    evolve(folder, settings(generations=1, children=1), evaluator=FormulaEvaluator())
    with RunLock(folder), pytest.raises(RunLockedError):
        evolve(folder, None, evaluator=FormulaEvaluator())
    with pytest.raises(ConfigError, match="other settings"):
        evolve(folder, settings(generations=1, children=3), evaluator=FormulaEvaluator())
    more = evolve(folder, settings(generations=2, children=1), evaluator=FormulaEvaluator())
    assert [m.generation for m in more] == [0, 1, 2]  # more generations continue the archive


@pytest.mark.parametrize(("threshold", "state"), [(2.0, "staged"), (-1.0, "evaluated")])
def test_children_reach_every_task_only_above_the_stage_threshold(tmp_path, threshold, state):
    evaluator = FormulaEvaluator()
    fields = {"tasks": ["a", "b", "c"], "stage_tasks": 1, "stage_threshold": threshold}
    members = evolve(tmp_path / "e", settings(generations=1, **fields), evaluator=evaluator)
    assert members[0].state == MemberState.EVALUATED and len(members[0].results) == 3
    children = [m for m in members[1:] if m.valid]
    assert children and {m.state.value for m in children} == {state}
    tasks = {len(m.results) for m in children}
    assert tasks == ({1} if state == "staged" else {3})
    calls: dict[str, list[tuple[str, ...]]] = {}
    for name, tasks_of_call in evaluator.evaluated:
        calls.setdefault(name, []).append(tasks_of_call)
    expected = [("a",)] if state == "staged" else [("a",), ("b", "c")]
    assert calls.pop("0000") == [("a", "b", "c")]  # the seed: every task at once
    assert all(made == expected for made in calls.values())


class EqualOnTheFirstTask(FormulaEvaluator):
    """Every agent scores the same on the first task (the seed's 0.39, below a fixed bar of
    0.5, as in a measured archive that froze); agents differ on the others."""

    def evaluate(self, agent_dir, tasks, work):
        results = super().evaluate(agent_dir, tasks, work)
        return [
            r.model_copy(update={"score": 0.39, "normalised": 0.39}) if r.task == "a" else r
            for r in results
        ]


@pytest.mark.parametrize(
    ("rule", "threshold", "state"),
    [("threshold", 0.5, "staged"), ("parent", 0.0, "evaluated"), ("parent", -0.1, "staged")],
)
def test_the_parent_rule_lets_a_child_as_good_as_its_parent_go_on(tmp_path, rule, threshold, state):
    """A fixed bar above the seed's first-stage score freezes the archive: no child ever reaches
    every task. Against its parent, a child that equals it there goes on; a negative allowance
    asks it to beat its parent by that much."""
    fields = {"tasks": ["a", "b", "c"], "stage_tasks": 1, "stage_threshold": threshold}
    members = evolve(
        tmp_path / "e",
        settings(generations=1, stage_rule=rule, **fields),
        evaluator=EqualOnTheFirstTask(),
    )
    children = [m for m in members[1:] if m.valid]
    assert children and {m.state.value for m in children} == {state}
    assert {len(m.results) for m in children} == ({1} if state == "staged" else {3})


def test_a_child_worse_than_its_parent_on_the_first_stage_stays_staged(tmp_path):
    """FormulaEvaluator scores agents differently on every task: the children better than or
    equal to the seed on task a go on, the worse ones stay staged."""
    fields = {"tasks": ["a", "b", "c"], "stage_tasks": 1, "stage_rule": "parent"}
    members = evolve(
        tmp_path / "e", settings(generations=2, **fields), evaluator=FormulaEvaluator()
    )
    by_id = {m.id: m for m in members}
    went_on = []
    for child in (m for m in members[1:] if m.valid):
        first = {r.task: r.score for r in child.results}["a"]
        parent_first = {r.task: r.score for r in by_id[child.parent].results}["a"]
        went_on.append(child.state == MemberState.EVALUATED)
        assert went_on[-1] == (first >= parent_first)
    assert set(went_on) == {True, False}  # both outcomes happen


class Planting:
    """Offline mutations, except for one child: it edits meta/ (3 edits per child, DGM's rule,
    steep enough to draw only the best) and becomes the best agent. Records how many edits
    each child got."""

    name = "planting"

    def __init__(self, planted: int) -> None:
        self.planted = planted
        self.offline = OfflineMeta()
        self.made: dict[int, tuple[int, int]] = {}

    def propose(self, request, archive):
        if request.child_id == self.planted:
            return Proposal(
                [
                    SetField(file="meta/meta.yaml", action="set_field", field="edits", value=3),
                    SetField(
                        file="meta/meta.yaml",
                        action="set_field",
                        field="parent_selection",
                        value={"rule": "dgm", "params": {"steepness": 50}},
                    ),
                    SetField(
                        file="agent.yaml",
                        action="set_field",
                        field="policy.params",
                        value={"num_drafts": 3, "debug_prob": 1.0},
                    ),
                ]
            )
        proposal = self.offline.propose(request, archive)
        self.made[request.child_id] = (request.parent.id, len(proposal.edits))
        return proposal


def test_a_child_that_edits_meta_changes_how_the_next_generation_is_made(tmp_path):
    folder = tmp_path / "evo"
    meta = Planting(planted=2)
    first = settings(generations=1, children=2, self_modify=True)
    evolve(folder, first, evaluator=FormulaEvaluator(), meta_agent=meta)
    with Archive.open(folder) as archive:
        planted = archive.get(2)
    assert planted.state == MemberState.EVALUATED and planted.selection_rule == "dgm_h"
    assert planted.score == max(m.score for m in archive_members(folder) if m.score is not None)

    second = first.model_copy(update={"generations": 3})
    members = evolve(folder, second, evaluator=FormulaEvaluator(), meta_agent=meta)
    later = [m for m in members if m.generation >= 2]
    # the best member's meta/ now draws the parents: only the best is drawn ...
    second_generation = [m for m in later if m.generation == 2]
    assert {(m.selection_rule, m.parent) for m in second_generation} == {("dgm", 2)}
    # ... and each parent's own meta/ says how many edits its child gets
    of_planted = [m for m in later if m.parent == 2]
    others = [m for m in later if m.parent in (0, 1)]
    for member in of_planted:
        assert member.edits == 3 and meta.made[member.id] == (2, 3)
    for member in others:
        assert member.edits == 1 and meta.made[member.id][1] == 1


def archive_members(folder):
    with Archive.open(folder) as archive:
        return archive.members()


class ScriptedChat(ChatModel):
    name = "scripted-chat"

    def __init__(self, answers):
        self.answers = list(answers)
        self.prompts = []

    def complete(self, messages, *, purpose=""):
        self.prompts.append(messages[-1].content)
        return Completion(
            self.answers.pop(0), usage=Usage(tokens_in=100, tokens_out=20, cost_usd=0.01, calls=1)
        )


def test_llm_meta_edits_a_folder_and_a_malformed_edit_is_an_invalid_child(tmp_path):
    good = (
        'Two drafts.\n```json\n[{"file": "agent.yaml", "action": "set_field", '
        '"field": "policy.params.num_drafts", "value": 2}]\n```'
    )
    same = (
        '[{"file": "agent.yaml", "action": "set_field", "field": "policy.params.num_drafts",'
        ' "value": 5}]'
    )
    answers = [
        good,
        "I cannot decide.",
        '[{"file": "../../etc/x.j2", "action": "replace", "content": "x"}]',
        '[{"file": "agent.yaml", "action": "set_field", "field": "policy.params.num_draft",'
        ' "value": 2}]',
        same,
        good,
    ]
    chat = ScriptedChat(answers)
    members = evolve(
        tmp_path / "evo",
        settings(generations=3, children=2, meta_backend="scripted-chat"),
        evaluator=FormulaEvaluator(),
        meta_agent=LLMMeta(chat, "scripted-chat"),
    )
    states = [(m.state.value, m.reason) for m in members[1:]]
    # every child keeps the answer it came from, refused or not, so a reason can be read
    # against what the model wrote
    assert [m.meta_answer for m in members[1:]] == answers
    assert states[0] == ("evaluated", "")
    assert states[1][0] == "invalid" and "no JSON list" in states[1][1]
    assert states[2][0] == "invalid" and "without '..'" in states[2][1]
    assert states[3][0] == "invalid" and "num_draft" in states[3][1]  # the schema refuses it
    # the last two make the seed's or member 1's agent again: refused before evaluation
    for member, twin in zip(members[5:], (0, 1), strict=True):
        expected = "no-op patch" if member.parent == twin else f"duplicate of member {twin}"
        assert member.state == MemberState.INVALID and member.reason.startswith(expected)
    assert "- a: " in chat.prompts[0]  # the meta agent sees its parent's scores
    with Archive.open(tmp_path / "evo") as archive:
        spend = archive.spend()
    assert (spend.calls, spend.tokens_in, round(spend.cost_usd, 2)) == (6, 600, 0.06)


def test_held_out_tasks_evaluate_the_seed_and_the_best_member_only(tmp_path):
    evaluator = FormulaEvaluator()
    fields = {"generations": 2, "holdout_tasks": ["h1", "h2"], "self_modify": True}
    members = evolve(tmp_path / "evo", settings(**fields), evaluator=evaluator)
    evaluated = [m for m in members if m.state == MemberState.EVALUATED]
    best = max(evaluated, key=lambda m: (m.score, -m.id))
    with_holdout = {m.id for m in members if m.holdout}
    assert with_holdout == {0, best.id}
    assert all({r.task for r in m.holdout} == {"h1", "h2"} for m in members if m.holdout)
    assert all("h1" not in {r.task for r in m.results} for m in members)  # never for selection
    assert sum(1 for _, tasks in evaluator.evaluated if tasks == ("h1", "h2")) == len(with_holdout)
    again = FormulaEvaluator()
    evolve(tmp_path / "evo", None, evaluator=again)  # resumed: held-out runs are not repeated
    assert again.evaluated == []


def test_llm_meta_through_a_chat_backend_string_charges_every_call(tmp_path):
    from airlab.testing.fake_llm import FakeLLMServer, Reply

    good = (
        'Reason.\n```json\n[{"file": "agent.yaml", "action": "set_field", '
        '"field": "policy.params.debug_prob", "value": 1.0}]\n```'
    )
    with FakeLLMServer() as server:
        server.push(
            Reply(text=good, tokens_in=300, tokens_out=40),
            Reply(text="no edits today", tokens_in=200, tokens_out=5),
            Reply(status=400, error_message="bad request", error_type="invalid_request_error"),
        )
        backend = f"openai-compatible/fake@{server.openai_url}"
        members = evolve(
            tmp_path / "evo",
            settings(generations=1, children=3, meta_backend=backend),
            evaluator=FormulaEvaluator(),
            meta_agent=LLMMeta.from_backend(backend, {"timeout_s": 20}),
        )
    children = members[1:]
    assert children[0].state == MemberState.EVALUATED and "debug_prob: 1.0" in children[0].patch
    assert children[1].state == MemberState.INVALID and "no JSON list" in children[1].reason
    assert children[2].state == MemberState.INVALID
    assert children[2].reason.startswith("meta call failed")
    with Archive.open(tmp_path / "evo") as archive:
        calls = archive.calls()
    assert [c.purpose for c in calls] == ["meta"] * 3
    assert [(c.tokens_in, c.tokens_out) for c in calls[:2]] == [(300, 40), (200, 5)]
    assert calls[2].error is not None and calls[0].error is None


def test_an_archive_of_schema_1_is_read_and_one_of_a_later_schema_refused(tmp_path):
    """Schema 2 added the meta agent's answer; a schema-1 archive (no answers kept) still
    resumes, and an archive written by a newer airlab is a one-line error, not a traceback."""
    import sqlite3

    from airlab.errors import JournalError
    from airlab.evolve.archive import ARCHIVE_FILE, ARCHIVE_SCHEMA

    evolve(tmp_path / "evo", settings(generations=1), evaluator=FormulaEvaluator())
    path = tmp_path / "evo" / ARCHIVE_FILE
    with sqlite3.connect(path) as db:  # as schema 1 wrote it: no meta_answer in the rows
        rows = db.execute("SELECT id, body FROM members").fetchall()
        for member_id, body in rows:
            data = json.loads(body)
            data.pop("meta_answer")
            db.execute("UPDATE members SET body = ? WHERE id = ?", (json.dumps(data), member_id))
        db.execute("PRAGMA user_version=1")
    members = archive_members(tmp_path / "evo")
    assert len(members) == len(rows) and {m.meta_answer for m in members} == {""}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == ARCHIVE_SCHEMA
        db.execute(f"PRAGMA user_version={ARCHIVE_SCHEMA + 1}")
    with pytest.raises(JournalError, match=f"archive schema {ARCHIVE_SCHEMA + 1}, this airlab"):
        archive_members(tmp_path / "evo")
