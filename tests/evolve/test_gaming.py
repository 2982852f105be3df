"""Attempts to win the archive by anything but better search. Each test is one attempt; it fails
if the hole it names opens: the archive's score is the framework's hidden test score of complete
runs on the archive's tasks, normalised by the archive, never what a child reports or chooses."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from fake_evaluator import FormulaEvaluator

from airlab.backends import ChatModel, Completion, Usage
from airlab.evolve import EvolveSettings, Member, MemberState, TaskResult, evolve
from airlab.evolve.evaluate import aggregate, normalised_scores, task_result
from airlab.evolve.meta_llm import LLMMeta
from airlab.result import RunResult, RunStatus, SplitScores


class ScriptedChat(ChatModel):
    name = "scripted-chat"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)

    def complete(self, messages, *, purpose=""):
        return Completion(self.answers.pop(0), usage=Usage(calls=1))


def _run_folder(tmp_path, name: str, **fields):
    folder = tmp_path / name
    folder.mkdir()
    data = {
        "run_id": name,
        "agent": "child",
        "task": "t",
        "seed": 0,
        "direction": "maximize",
        "valid_submission": True,
        "scores": SplitScores(search=0.99, select=0.98, test=0.3),
        "self_reported_score": 1e9,
        "best_search_score": 1.0,
        "baseline": 0.0,
        "reference": 1.0,
        **fields,
    }
    RunResult(**data).write(folder / "result.json")
    return folder


def test_a_self_reported_or_search_score_never_is_the_archive_score(tmp_path):
    # `fitness: self_reported` and prompt fragments that make the model print a high score only
    # change which node the run picks; the archive reads that node's hidden test score
    result = task_result("t", _run_folder(tmp_path, "r"))
    assert (result.score, result.normalised) == (0.3, 0.3)


def test_a_run_that_finishes_fast_scores_what_its_test_score_is(tmp_path):
    # a tiny budget or a fast run earns nothing for being fast: no time term in the score
    slow = task_result("t", _run_folder(tmp_path, "slow", elapsed_s=3600.0, nodes=50))
    fast = task_result("t", _run_folder(tmp_path, "fast", elapsed_s=1.0, nodes=1))
    assert (slow.score, slow.normalised) == (fast.score, fast.normalised)


@pytest.mark.parametrize(
    "fields",
    [
        {"valid_submission": False},
        {"status": RunStatus.FAILED},
        {"status": RunStatus.NO_VALID_SOLUTION},
        {"scores": SplitScores(test=math.nan)},
        {"scores": SplitScores(test=math.inf), "baseline": None, "reference": None},
    ],
    ids=["invalid-submission", "failed", "no-solution", "nan", "inf"],
)
def test_a_run_without_a_valid_finite_test_score_counts_zero(tmp_path, fields):
    bad = task_result("hard", _run_folder(tmp_path, "bad", **fields))
    assert bad.score is None and bad.normalised is None
    good = TaskResult(task="easy", score=0.8, normalised=0.8)
    member = Member(id=1, generation=1, slot=0, parent=0, state=MemberState.VALID)
    member = member.model_copy(update={"results": [good, bad]})
    scores = normalised_scores([member])[1]
    assert scores == {"easy": 0.8, "hard": 0.0}  # the failed task is not dropped from the mean
    assert aggregate(scores)[0] == pytest.approx(0.4)


def test_an_infinite_score_does_not_knock_a_task_out_of_other_members_means():
    def member(i: int, score: float) -> Member:
        return Member(
            id=i,
            generation=0,
            slot=i,
            parent=None,
            state=MemberState.EVALUATED,
            results=[TaskResult(task="t", score=score, direction="minimize")],
        )

    scores = normalised_scores([member(0, 0.5), member(1, 0.2), member(2, math.inf)])
    assert scores == {0: {"t": 0.0}, 1: {"t": 1.0}, 2: {"t": 0.0}}


def _edit(file: str, field: str, value) -> str:
    return json.dumps([{"file": file, "action": "set_field", "field": field, "value": value}])


def test_a_child_cannot_pick_its_tasks_its_limits_or_a_score_that_reads_more(tmp_path):
    answers = [
        _edit("agent.yaml", "tasks", ["easy"]),
        _edit("agent.yaml", "fitness", "test"),
        _edit("agent.yaml", "limits.time_s", 1e9),
        _edit("agent.yaml", "fitness", "self_reported"),  # allowed: the archive reads test
    ]
    evaluator = FormulaEvaluator()
    members = evolve(
        tmp_path / "evo",
        EvolveSettings(
            agent="greedy-hyper",
            tasks=["a", "b"],
            generations=1,
            children=len(answers),
            meta_backend="scripted",
        ),
        evaluator=evaluator,
        meta_agent=LLMMeta(ScriptedChat(answers), "scripted"),
    )
    reasons = [m.reason for m in members[1:]]
    assert all(m.state == MemberState.INVALID for m in members[1:4]), reasons
    assert "tasks" in reasons[0] and "fitness" in reasons[1] and "limits" in reasons[2]
    assert members[4].state == MemberState.EVALUATED
    assert {tasks for _, tasks in evaluator.evaluated} == {("a", "b")}  # always the archive's


class StagedEvaluator(FormulaEvaluator):
    """The seed scores 0.5 on both tasks; any child 0.9 on the first and 0 on the second."""

    def evaluate(self, agent_dir, tasks, work):
        self.evaluated.append((agent_dir.name, tuple(tasks)))
        meta = yaml.safe_load((agent_dir / "meta" / "meta.yaml").read_text())
        seed = meta["parent_selection"]["rule"] == "dgm_h" and agent_dir.name == "0000"
        values = {"a": 0.9, "b": 0.0} if not seed else {"a": 0.5, "b": 0.5}
        return [TaskResult(task=t, score=values[t], normalised=values[t]) for t in tasks]


def test_a_staged_child_does_not_become_the_archive_best_on_its_easy_first_stage(tmp_path):
    # the child edits its parent-selection rule and scores high on the first stage's (easy)
    # task only: staged, its partial mean 0.9 beats the seed's 0.5 over both tasks, yet the
    # next generation is still drawn with the seed's rule
    answers = [
        _edit("meta/meta.yaml", "parent_selection", {"rule": "uniform", "params": {}}),
        _edit("agent.yaml", "policy.params.num_drafts", 2),
    ]
    members = evolve(
        tmp_path / "evo",
        EvolveSettings(
            agent="greedy-hyper",
            tasks=["a", "b"],
            generations=2,
            children=1,
            stage_tasks=1,
            stage_threshold=0.95,
            self_modify=True,
            meta_backend="scripted",
        ),
        evaluator=StagedEvaluator(),
        meta_agent=LLMMeta(ScriptedChat(answers), "scripted"),
    )
    assert members[1].state == MemberState.STAGED and members[1].score == pytest.approx(0.9)
    assert members[2].selection_rule == "dgm_h"
