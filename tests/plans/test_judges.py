"""Judges on fixed answers: strict parsing, retries then recorded failures, samples, juries."""

from __future__ import annotations

import json

import pytest

from airlab.plans.grading import RubricGrader
from airlab.plans.judge import Jury, LLMJudge, OfflineJudge
from airlab.plans.jury import aggregate
from airlab.plans.llm_judge import MalformedAnswer, parse_verdicts
from airlab.plans.rubric import Leaf, Rubric, Verdict, VerdictFailure, tree_score
from airlab.tasks.task import load_task

from .conftest import PLAN_TASK, ScriptedChat

LEAVES = [
    Leaf(id="1", text="The plan compares against a random baseline.", weight=1.0),
    Leaf(id="2.1", text="The plan repeats runs over several seeds.", weight=2.0),
    Leaf(id="2.2", text="The plan estimates the compute budget.", weight=1.0),
]


def answer(decisions: dict[str, bool]) -> str:
    return json.dumps(
        {
            "verdicts": [
                {"id": i, "satisfied": s, "justification": f"why {i}"} for i, s in decisions.items()
            ]
        }
    )


class FixedJudge:
    """Answers fixed verdicts by item id (a failure where the value is a VerdictFailure)."""

    def __init__(self, values: dict[str, float | VerdictFailure]) -> None:
        self.values = values

    def judge(self, text, leaves, *, context=""):
        out = []
        for leaf in leaves:
            value = self.values[leaf.id]
            if isinstance(value, VerdictFailure):
                out.append(Verdict(item_id=leaf.id, failure=value))
            else:
                out.append(Verdict(item_id=leaf.id, value=value, justification="fixed"))
        return out


def test_offline_judge_is_deterministic_and_reads_the_text():
    judge = OfflineJudge()
    good = "We compare against a random baseline and repeat runs over several seeds."
    first = judge.judge(good, LEAVES)
    assert first == judge.judge(good, LEAVES)
    assert [v.value for v in first][:2] == [1.0, 1.0] and first[2].value < 1.0
    assert [v.value for v in judge.judge("Nothing relevant here.", LEAVES)] == [0.0, 0.0, 0.0]
    assert "missing: estimat" in first[2].justification
    strict = OfflineJudge(partial=False).judge(good, LEAVES)
    assert [v.value for v in strict] == [1.0, 1.0, 0.0]


def test_offline_judge_gives_partial_credit_in_quarters_below_its_threshold():
    judge = OfflineJudge(threshold=0.5)
    assert [judge.credit(s) for s in (0.0, 0.1, 0.2, 0.3, 0.49, 0.5, 0.9)] == [
        0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0,
    ]  # fmt: skip
    leaf = [Leaf(id="1", text="temperature scaling brier score calibration error", weight=1.0)]
    half = judge.judge("We fit temperature scaling.", leaf)[0].value
    more = judge.judge("We fit temperature scaling and report the Brier score.", leaf)[0].value
    assert 0 < half < more <= 1.0  # meeting more of an item is worth more


def test_offline_judge_ignores_the_goal_given_as_context():
    verdicts = OfflineJudge().judge("A short text.", LEAVES, context=LEAVES[0].text)
    assert verdicts[0].value == 0.0


def test_parse_is_strict():
    ids = ["1", "2.1"]
    assert parse_verdicts(answer({"1": True, "2.1": False}), ids)["1"].satisfied is True
    fenced = "```json\n" + answer({"1": True}) + "\n```"
    assert set(parse_verdicts(fenced, ids)) == {"1"}
    for bad in (
        "yes, all satisfied",
        json.dumps({"verdicts": [{"id": "1", "satisfied": "yes"}]}),
        json.dumps({"verdicts": [{"id": "9", "satisfied": True}]}),
        json.dumps({"verdicts": [{"id": "1", "satisfied": True}, {"id": "1", "satisfied": 0}]}),
        json.dumps([{"id": "1", "satisfied": True}]),
        "Sure! " + answer({"1": True}),
    ):
        with pytest.raises(MalformedAnswer):
            parse_verdicts(bad, ids)


def test_llm_judge_reads_a_valid_answer_in_one_call():
    chat = ScriptedChat(lambda messages: answer({"1": True, "2.1": False, "2.2": True}))
    verdicts = LLMJudge(chat).judge("plan text", LEAVES, context="the goal")
    assert [v.value for v in verdicts] == [1.0, 0.0, 1.0]
    assert [v.justification for v in verdicts] == ["why 1", "why 2.1", "why 2.2"]
    assert len(chat.calls) == 1 and chat.calls[0][1] == "judge"
    prompt = chat.calls[0][0][-1].content
    assert all(leaf.text in prompt for leaf in LEAVES) and "the goal" in prompt


def test_garbage_is_retried_then_recorded_as_a_failure_never_a_score():
    chat = ScriptedChat(lambda messages: "I think it is quite good overall.")
    verdicts = LLMJudge(chat, retries=2).judge("plan text", LEAVES)
    assert len(chat.calls) == 3  # the first ask and two retries
    assert all(v.value is None and v.failure == VerdictFailure.MALFORMED for v in verdicts)
    assert "not a JSON object" in verdicts[0].justification
    # the retry says what was wrong
    assert "was not valid" in chat.calls[1][0][-1].content


def test_a_retry_recovers_and_missing_items_stay_failures():
    replies = iter(["garbage", answer({"1": True}), answer({"1": False, "2.1": True})])
    chat = ScriptedChat(lambda messages: next(replies))
    verdicts = LLMJudge(chat, retries=2).judge("plan text", LEAVES)
    by_id = {v.item_id: v for v in verdicts}
    assert by_id["1"].value == 1.0  # the first decision stands
    assert by_id["2.1"].value == 1.0
    assert by_id["2.2"].value is None and by_id["2.2"].failure == VerdictFailure.MISSING
    assert "left out items 2.1, 2.2" in chat.calls[2][0][-1].content


def test_samples_average_the_decisions():
    replies = iter(
        [
            answer({"1": True, "2.1": True, "2.2": False}),
            answer({"1": True, "2.1": False, "2.2": False}),
            "garbage",  # the third sample fails on every item...
            "garbage",
        ]
    )
    chat = ScriptedChat(lambda messages: next(replies))
    verdicts = LLMJudge(chat, samples=3, retries=0).judge("t", LEAVES)
    assert [v.value for v in verdicts] == [1.0, 0.5, 0.0]  # ...and is left out of the mean
    assert "failed" in verdicts[0].justification


def test_jury_aggregates_fixed_verdicts():
    def v(value):
        return Verdict(item_id="x", value=value, justification="j")

    failed = Verdict(item_id="x", failure=VerdictFailure.MALFORMED)
    assert aggregate("x", [v(1.0), v(0.0), v(1.0)], "mean").value == pytest.approx(2 / 3)
    assert aggregate("x", [v(1.0), v(0.0), v(1.0)], "majority").value == 1.0
    assert aggregate("x", [v(0.0), v(0.0), v(1.0)], "majority").value == 0.0
    assert aggregate("x", [v(0.0), v(1.0)], "majority").value == 0.5
    assert aggregate("x", [v(1.0), failed, v(0.0)], "mean").value == 0.5
    assert aggregate("x", [failed, failed], "mean").failure == VerdictFailure.MALFORMED
    jury = Jury(
        [
            FixedJudge({"1": 1.0, "2.1": 0.0, "2.2": 1.0}),
            FixedJudge({"1": 1.0, "2.1": 1.0, "2.2": 0.0}),
            FixedJudge({"1": 0.0, "2.1": VerdictFailure.BACKEND, "2.2": 0.0}),
        ],
        "majority",
    )
    assert [x.value for x in jury.judge("t", LEAVES)] == [1.0, 0.5, 0.0]


def test_grader_scores_each_split_on_its_own_items():
    task = load_task(PLAN_TASK)
    leaves = task.rubric.leaves()
    values = {leaf.id: float(n % 3 == 0) for n, leaf in enumerate(leaves)}
    grade = RubricGrader(task, FixedJudge(values)).grade("a plan", ("search", "select", "test"))
    split = task.item_split
    for name in ("search", "select", "test"):
        expected = tree_score(task.rubric, values, only=split.ids(name))
        assert grade.scores[name] == pytest.approx(expected)
        assert [v.item_id for v in grade.verdicts[name]] == split.ids(name)
    assert set(split.search).isdisjoint(split.select) and set(split.select).isdisjoint(split.test)
    assert len(split.search + split.select + split.test) == len(leaves) == 12


def test_grader_leaves_failed_items_out_and_refuses_a_split_with_none_decided():
    task = load_task(PLAN_TASK)
    split = task.item_split
    values: dict[str, float | VerdictFailure] = {i: 1.0 for i in split.search}
    values[split.search[0]] = VerdictFailure.MALFORMED
    values |= {i: VerdictFailure.MALFORMED for i in split.select}
    grade = RubricGrader(task, FixedJudge(values)).grade("a plan", ("search",))
    assert grade.valid and grade.scores["search"] == 1.0 and grade.failures == 1
    bad = RubricGrader(task, FixedJudge(values)).grade("a plan", ("search", "select"))
    assert (
        not bad.valid
        and "none of the" in (bad.reason or "")
        and bad.failures == 1 + len(split.select)
    )


def test_tree_weights_reach_the_split_score():
    rubric = Rubric.model_validate(
        {"items": [{"text": "a", "weight": 3}, {"text": "b"}, {"text": "c"}]}
    )
    assert tree_score(rubric, {"1": 1.0, "2": 0.0}, only=["1", "2"]) == 0.75


def test_make_judge_defaults_and_jury():
    from airlab.backends.templates.backend import TemplatesBackend
    from airlab.plans.build import make_judge
    from airlab.plans.settings import JudgeSettings

    assert isinstance(make_judge(JudgeSettings(), TemplatesBackend()), OfflineJudge)
    chat = ScriptedChat(lambda messages: "")
    own = make_judge(JudgeSettings(samples=3), chat)
    assert isinstance(own, LLMJudge) and own.model is chat and own.samples == 3
    jury = make_judge(JudgeSettings(models=["offline", "offline"], rule="majority"), chat)
    assert isinstance(jury, Jury) and jury.rule == "majority" and len(jury.judges) == 2


def test_a_large_rubric_is_judged_in_batches():
    def decide_all(messages):
        prompt = messages[1].content
        ids = [line.split("]")[0][3:] for line in prompt.splitlines() if line.startswith("- [")]
        return answer({i: True for i in ids})

    chat = ScriptedChat(decide_all)
    leaves = [Leaf(id=str(n), text=f"item {n}", weight=1.0) for n in range(1, 8)]
    verdicts = LLMJudge(chat, batch=3).judge("t", leaves)
    assert [v.value for v in verdicts] == [1.0] * 7
    assert len(chat.calls) == 3
    assert all(len(_items(c[0][1].content)) <= 3 for c in chat.calls)


def _items(prompt: str) -> list[str]:
    return [line for line in prompt.splitlines() if line.startswith("- [")]
