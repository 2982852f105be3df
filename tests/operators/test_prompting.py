"""Prompt pieces: answer parsing, approach families, memory, data preview, rendered prompts."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from airlab.backends import ChatModel, Completion, Message, Usage
from airlab.errors import BackendError, ConfigError
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.families import classify_family
from airlab.operators.memory import fix_chain, render_memory, scrub_paths
from airlab.operators.parsing import parse_answer
from airlab.operators.preview import data_preview
from airlab.operators.prompting import NO_CODE_AGAIN, PromptSettings, runtime_text
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import resolve_task


class Scripted(ChatModel):
    name = "scripted"

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[Message], str]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.calls.append((list(messages), purpose))
        return Completion(self.answers.pop(0), Usage(10, 20, 0.001, 1), "m", "stop")


def _node(node_id: int, **fields) -> Node:
    defaults = {
        "operator": "draft",
        "status": NodeStatus.GOOD,
        "plan": f"Plan {node_id}.",
        "code": "x = 1\n",
    }
    return Node(id=node_id, **{**defaults, **fields})


def _context(backend, parents=(), history=(), **options) -> OperatorContext:
    return OperatorContext(
        task=resolve_task("digits"),
        parents=tuple(parents),
        history=tuple(history),
        backend=backend,
        seed=0,
        node_id=9,
        limits=ExecutionLimits(time_s=90, memory_mb=1024, cpus=2),
        options=options,
    )


def test_parse_answer_takes_the_longest_closed_python_block_and_strips_thinking():
    text = (
        "<think>maybe ```python\nbad(\n```</think>I will fit a model.\n"
        "```text\nnot code\n```\n```python\nprint(1)\nprint(2)\n```\n```python\nx=1\n```"
    )
    parsed = parse_answer(text)
    assert parsed.code == "print(1)\nprint(2)\n"
    assert parsed.plan.startswith("I will fit a model.") and "think" not in parsed.plan
    assert parsed.complete
    cut = parse_answer("Plan.\n```python\ndef f(:\n")
    assert cut is not None and not cut.complete
    assert parse_answer("no code at all") is None


def test_the_plans_family_line_inside_the_code_goes_back_to_the_plan():
    """Live, the 1.5B model ended its script with the plan's `Family: neural net (MLP)` line: a
    draft and three debug answers in a row died of that syntax error."""
    answer = "I fit an MLP.\n```python\nx = 1\nprint(x)\n\nFamily: neural net (MLP)\n```\n"
    parsed = parse_answer(answer)
    assert parsed.code == "x = 1\nprint(x)\n" and parsed.complete
    assert parsed.plan == "I fit an MLP.\nFamily: neural net (MLP)"
    kept = "```python\nFamily: neural net\nprint(\n```"  # compiles neither way: kept as written
    assert parse_answer(kept).code == "Family: neural net\nprint(\n"
    assert not parse_answer(kept).complete
    fine = "```python\nFamily = 'mlp'\n```"
    assert parse_answer(fine).code == "Family = 'mlp'\n"


def test_an_echoed_answer_format_is_no_code_and_gets_the_reminder():
    """The 1.5B model echoed the prompt, whose only Python block is `# the whole script` (3
    recorded answers, each run as a script that wrote nothing)."""
    echoed = "## Answer format\nThen the complete script:\n```python\n# the whole script\n```\n"
    assert parse_answer(echoed) is None
    assert parse_answer("```python\n\n  # only\n# comments\n```") is None
    model = Scripted(echoed, "```python\nx = 3  # a statement\n```")
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert candidate.code == "x = 3  # a statement\n" and model.calls[1][1] == "draft-reminder"


@pytest.mark.parametrize(
    ("code", "plan", "family"),
    [
        ("from lightgbm import LGBMClassifier", "", "gradient_boosting"),
        # the 1.5B model's invented class: a library named in any case is that library
        ("estimator = LightGBMClassifier(n_estimators=100)", "", "gradient_boosting"),
        ("import XGBoost", "", "gradient_boosting"),
        ("import torch\nnn.Conv2d(1, 8, 3)", "", "cnn"),
        ("from transformers import AutoModel", "", "transformer"),
        ("from sklearn.svm import SVC", "", "svm"),
        ("StackingClassifier([RandomForestClassifier(), SVC()])", "", "ensemble"),
        ("import numpy as np", "Family: Nearest centroid", "nearest_centroid"),
        ("import numpy as np", "no label", "unknown"),
        # a comment is not code: the skeleton's hint kept above the constant placeholder
        ("# e.g. HistGradientBoostingClassifier()\nm = DummyClassifier()", "", "unknown"),
        ("m = RandomForestClassifier()  # better than GradientBoosting?", "", "random_forest"),
        ("# XGBoost next\nm = Ridge(\n", "", "linear"),  # does not tokenize: by line
    ],
)
def test_family_from_code_first_then_the_model_label(code, plan, family):
    assert classify_family(code, plan) == family


def test_memory_lists_best_and_recent_and_summarises_the_rest():
    history = [
        _node(i, search_score=0.5 + i / 100, meta={"family": "linear"}) for i in range(30)
    ] + [_node(30, status=NodeStatus.BUGGY, failure="timeout", error="exceeded 60 s")]
    text = render_memory(history, maximize=True, max_chars=1500)
    assert len(text) <= 1500
    assert text.startswith("31 attempts so far; best score 0.79 (#29)")
    assert "- #0 draft" not in text and "- #29 draft [linear]" in text
    assert "#30 draft: Plan 30. → failed (timeout: exceeded 60 s)" in text
    assert "older attempts not listed; working ones by family: linear ×" in text
    assert render_memory([], maximize=True) == ""


def test_paths_of_the_run_folder_are_scrubbed():
    error = 'File "/tmp/runs/x/nodes/0003/solution.py", line 3'
    assert scrub_paths(error) == 'File "solution.py", line 3'


def test_fix_chain_follows_debug_parents():
    root = _node(0, status=NodeStatus.BUGGY)
    first = _node(1, operator="debug", parent_ids=(0,), status=NodeStatus.BUGGY)
    second = _node(2, operator="debug", parent_ids=(1,), status=NodeStatus.BUGGY)
    nodes = {n.id: n for n in (root, first, second)}
    assert [n.id for n in fix_chain(second, nodes)] == [0, 1]


def test_preview_is_capped(tmp_path):
    task = resolve_task("digits")
    assert len(data_preview(task.public_dir, max_chars=500)) <= 500


def test_draft_prompt_has_task_limits_rules_and_tried_approaches():
    model = Scripted("Plan.\nFamily: linear\n```python\nprint('self_reported_score: 1')\n```")
    history = [_node(0, meta={"family": "svm"}, search_score=0.9)]
    candidate = OPERATORS.get("draft").apply(_context(model, history=history))
    assert candidate.meta["family"] == "linear" and candidate.usage.calls == 1
    ((messages, purpose),) = model.calls
    prompt = messages[1].content
    assert purpose == "draft"
    assert "Time: 90 s wall clock; memory: 1024 MB; CPUs: 2; GPUs: 0." in prompt
    assert "Approaches already drafted in this search: svm." in prompt
    assert "1 attempts so far; best score 0.9 (#0)" in prompt
    assert "`label`: int64, range [0, 9]" in prompt


def test_memory_and_diversity_can_be_switched_off():
    model = Scripted("```python\nx = 1\n```")
    history = [_node(0, meta={"family": "svm"}, search_score=0.9)]
    OPERATORS.get("draft").apply(_context(model, history=history, memory=False, diversity=False))
    prompt = model.calls[0][0][1].content
    assert "attempts so far" not in prompt and "Approaches already drafted" not in prompt
    with pytest.raises(ConfigError, match="operator option 'memory': Input should be a valid bool"):
        PromptSettings.from_options({"memory": "off"})


def test_debug_prompt_carries_error_output_and_earlier_fixes():
    root = _node(
        0,
        status=NodeStatus.BUGGY,
        failure="error",
        error="KeyError: 'lable'",
        stderr_tail="Traceback ...\nKeyError: 'lable'",
        plan="Use the lable column.",
    )
    first = _node(
        1,
        operator="debug",
        parent_ids=(0,),
        status=NodeStatus.BUGGY,
        failure="timeout",
        error="exceeded the time limit",
        plan="Rename it.",
    )
    model = Scripted("Fixed.\n```python\nx = 2\n```")
    OPERATORS.get("debug").apply(_context(model, parents=[first], history=[root, first]))
    prompt = model.calls[0][0][1].content
    assert "This script failed: timeout: exceeded the time limit." in prompt
    assert "attempt 1: Use the lable column. -> error: KeyError: 'lable'" in prompt


class Copier(ChatModel):
    """Answers prose first; asked again, repeats its own last answer word for word where the
    conversation holds it (as the 1.5B local model did in 10 of 20 recorded reminders), else
    writes code."""

    name = "copier"

    def __init__(self) -> None:
        self.calls: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.calls.append(list(messages))
        said = [m.content for m in messages if m.role == "assistant"]
        text = (
            said[-1]
            if said
            else "I would use a forest."
            if len(self.calls) == 1
            else ("```python\nx = 3\n```")
        )
        return Completion(text, Usage(10, 20, 0.001, 1), "m", "stop")


def test_a_missing_code_block_gets_one_reminder_then_an_error():
    model = Copier()
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert candidate.code == "x = 3\n" and candidate.usage.calls == 2
    first, again = model.calls
    assert [m.role for m in again] == [m.role for m in first]  # its prose answer left out
    assert again[-1].content == first[-1].content + "\n\n" + NO_CODE_AGAIN
    assert again[0] == first[0]
    with pytest.raises(BackendError, match="no Python code"):
        OPERATORS.get("draft").apply(_context(Scripted("nothing", "still nothing")))


def test_improve_and_debug_prompts_show_the_parents_runtime_against_the_limit():
    model = Scripted("Better.\n```python\nx = 2\n```", "Fixed.\n```python\nx = 3\n```")
    parent = _node(0, search_score=0.9, exec_seconds=12.34)
    OPERATORS.get("improve").apply(_context(model, parents=[parent], history=[parent]))
    assert "scored 0.9.\nIt ran in 12.3 s of the 90 s time limit.\n" in model.calls[0][0][1].content
    slow = _node(1, status=NodeStatus.BUGGY, failure="timeout", exec_seconds=90.2)
    OPERATORS.get("debug").apply(_context(model, parents=[slow], history=[slow]))
    assert "It was stopped at the 90 s time limit." in model.calls[1][0][1].content
    crashed = _node(2, status=NodeStatus.BUGGY, failure="error", exec_seconds=3.04)
    assert runtime_text(crashed, ExecutionLimits(time_s=600)) == (
        "It ran for 3.0 s of the 600 s time limit."
    )
    assert runtime_text(_node(3, status=NodeStatus.BUGGY, failure="no_code"), None) == ""


def test_replay_matches_prompts_whose_parents_ran_for_another_time():
    from airlab.backends.llm.record import request_hash

    limits = ExecutionLimits(time_s=60)
    first, second = (
        [Message("user", f"scored 0.9.\n{runtime_text(_node(0, exec_seconds=s), limits)}")]
        for s in (0.5, 1.5)
    )
    assert first != second and request_hash(first, "improve") == request_hash(second, "improve")
    assert request_hash([Message("user", "scored 0.8.")], "improve") != request_hash(
        [Message("user", "scored 0.9.")], "improve"
    )
