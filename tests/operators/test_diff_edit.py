"""`edit_format=diff`: improve and debug answer with SEARCH/REPLACE blocks applied to the parent;
a patch that does not apply falls back to one whole-script answer, and the node records which."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from airlab.backends import (
    Candidate,
    ChatModel,
    Completion,
    Message,
    ProgramWriter,
    Usage,
    WriteRequest,
    make_backend,
)
from airlab.backends.routing import route_keys
from airlab.errors import ConfigError
from airlab.journal.edit import EditOutcome, EditRecord, PatchFailure, edit_counts
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext, parse_operator_options
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import resolve_task

PARENT = """\
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
X = train.drop(columns=["id", "target"])
model = RandomForestClassifier(n_estimators=100, random_state=0)
model.fit(X, train["target"])
pd.DataFrame({"id": test["id"], "target": model.predict(test[X.columns])}).to_csv(
    "submission.csv", index=False
)
"""
WHOLE = PARENT.replace("n_estimators=100", "n_estimators=250")
RAISE_TREES = (
    "More trees should lower the variance.\n"
    "<<<<<<< SEARCH\n"
    "model = RandomForestClassifier(n_estimators=100, random_state=0)\n"
    "=======\n"
    "model = RandomForestClassifier(n_estimators=400, random_state=0)\n"
    ">>>>>>> REPLACE\n"
)
WHOLE_ANSWER = f"Use 250 trees.\n```python\n{WHOLE}```\n"


class Scripted(ChatModel):
    """Answers in order; each answer is (text, finish_reason) or a text that stops normally."""

    name = "scripted"

    def __init__(self, *answers: str | tuple[str, str]) -> None:
        self.answers = [a if isinstance(a, tuple) else (a, "stop") for a in answers]
        self.calls: list[tuple[list[Message], str]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "", tools=None):
        self.calls.append((list(messages), purpose))
        text, finish = self.answers.pop(0)
        return Completion(text, Usage(100, len(text) // 4, 0.0, 1), "m", finish)


def _parent(code: str = PARENT, **fields) -> Node:
    defaults = {"operator": "draft", "status": NodeStatus.GOOD, "plan": "A forest.", "code": code}
    return Node(id=1, **{**defaults, **fields}, search_score=0.9)


def _context(backend, parent: Node | None = None, **options) -> OperatorContext:
    return OperatorContext(
        task=resolve_task("digits"),
        parents=(parent or _parent(),),
        history=(),
        backend=backend,
        seed=0,
        node_id=2,
        limits=ExecutionLimits(time_s=90, memory_mb=1024, cpus=2),
        options=options,
    )


def _improve(model: ChatModel, parent: Node | None = None, **options) -> Candidate:
    options.setdefault("edit_format", "diff")
    return OPERATORS.get("improve").apply(_context(model, parent, **options))


def test_blocks_that_apply_are_the_candidate_in_one_call():
    model = Scripted(RAISE_TREES)
    written = _improve(model)
    assert written.code == PARENT.replace("n_estimators=100", "n_estimators=400")
    assert written.plan == "More trees should lower the variance."
    assert EditRecord.model_validate(written.meta["edit"]).outcome is EditOutcome.APPLIED
    assert written.meta["edit"]["blocks"] == 1
    assert [purpose for _, purpose in model.calls] == ["improve"]
    prompt = model.calls[0][0][-1].content
    assert "<<<<<<< SEARCH" in prompt and "the complete script in exactly one" not in prompt


def test_whole_format_asks_for_the_whole_script_and_records_no_edit():
    model = Scripted(WHOLE_ANSWER)
    written = _improve(model, edit_format="whole")
    assert written.code == WHOLE and "edit" not in written.meta
    assert "<<<<<<< SEARCH" not in model.calls[0][0][-1].content


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (RAISE_TREES.replace("n_estimators=100,", "n_estimators=50,", 1), PatchFailure.NOT_FOUND),
        (
            '<<<<<<< SEARCH\n    "submission.csv"\n=======\n    "out.csv"\n>>>>>>> REPLACE\n'
            "<<<<<<< SEARCH\npd.read_csv\n=======\npd.read_parquet\n>>>>>>> REPLACE\n",
            PatchFailure.AMBIGUOUS,
        ),
        ((RAISE_TREES, "length"), PatchFailure.TRUNCATED),
        (
            RAISE_TREES.replace("random_state=0)\n>", "random_state=0\n>"),
            PatchFailure.BREAKS_SYNTAX,
        ),
        ("I would add more trees.", PatchFailure.NO_BLOCKS),
    ],
)
def test_a_patch_that_does_not_apply_falls_back_to_one_whole_answer(answer, reason):
    model = Scripted(answer, WHOLE_ANSWER)
    written = _improve(model)
    assert written.code == WHOLE
    record = EditRecord.model_validate(written.meta["edit"])
    assert record.outcome is EditOutcome.FELL_BACK and record.reason is reason and record.detail
    assert [purpose for _, purpose in model.calls] == ["improve", "improve-whole"]
    messages = model.calls[1][0]
    assert messages[-2].role == "assistant" and reason.value in messages[-1].content
    assert written.usage.calls == written.meta["llm_calls"] == 2


def test_a_whole_script_instead_of_blocks_is_taken_without_a_second_call():
    model = Scripted(WHOLE_ANSWER)
    written = _improve(model)
    assert written.code == WHOLE and len(model.calls) == 1
    assert written.meta["edit"]["outcome"] == EditOutcome.WHOLE_ANSWER


def test_debug_answers_with_blocks_too_but_draft_and_crossover_write_whole_scripts():
    failed = _parent(PARENT.replace('train["target"])', 'train["targett"])'))
    failed = failed.model_copy(update={"status": NodeStatus.BUGGY, "failure": "error"})
    fix = '<<<<<<< SEARCH\nmodel.fit(X, train["targett"])\n=======\n'
    fix += 'model.fit(X, train["target"])\n>>>>>>> REPLACE\n'
    model = Scripted("Fix the column name.\n" + fix)
    written = OPERATORS.get("debug").apply(_context(model, failed, edit_format="diff"))
    assert written.code == PARENT and written.meta["edit"]["outcome"] == "applied"
    draft = Scripted(WHOLE_ANSWER)
    context = replace(_context(draft, edit_format="diff"), parents=())
    assert "edit" not in OPERATORS.get("draft").apply(context).meta
    assert "<<<<<<< SEARCH" not in draft.calls[0][0][-1].content


def test_the_fallback_is_routed_and_charged_as_the_step_itself():
    assert route_keys("improve-whole") == ("improve",)
    assert route_keys("debug-whole-reminder") == ("debug",)


# ---- program writers -------------------------------------------------------------------------


def _templates_context(task, parent: Node, **options) -> OperatorContext:
    return OperatorContext(
        task=task,
        parents=(parent,),
        history=(parent,),
        backend=make_backend("templates", {"bug_rate": 0.0}),
        seed=3,
        node_id=4,
        limits=ExecutionLimits(time_s=90, memory_mb=1024, cpus=2),
        options=options,
    )


@pytest.mark.parametrize("operator", ["improve", "debug"])
def test_the_templates_write_blocks_that_give_the_same_script_as_whole(make_task, operator):
    from airlab.tasks import load_task

    task = load_task(make_task())
    backend = make_backend("templates", {"bug_rate": 0.0})
    draft = backend.write(WriteRequest("draft", task, (), (), seed=1, node_id=0))
    status = NodeStatus.GOOD if operator == "improve" else NodeStatus.BUGGY
    parent = Node(
        id=0, operator="draft", code=draft.code, plan=draft.plan, meta=draft.meta, status=status
    )
    options = {"edit_format": "diff"}
    written = backend.write(WriteRequest(operator, task, (parent,), (), 3, 4, options=options))
    assert written.edit is not None and "<<<<<<< SEARCH" in written.edit and not written.code
    step = OPERATORS.get(operator)
    as_diff = step.apply(_templates_context(task, parent, edit_format="diff"))
    as_whole = step.apply(_templates_context(task, parent))
    assert as_diff.code == as_whole.code and as_diff.edit is None
    assert as_diff.meta["edit"]["outcome"] == "applied"


class PlantedWriter(ProgramWriter):
    """Blocks whose SEARCH is not in the parent; the whole script when asked again."""

    name = "planted"

    def __init__(self) -> None:
        self.requests: list[WriteRequest] = []

    def write(self, request: WriteRequest) -> Candidate:
        self.requests.append(request)
        if request.options.edit_format == "diff":
            return Candidate("p", "", edit=RAISE_TREES.replace("100", "7"))
        return Candidate("p", WHOLE)


def test_a_writers_blocks_that_do_not_apply_make_it_write_again_whole():
    writer = PlantedWriter()
    written = _improve(writer)  # type: ignore[arg-type]
    assert written.code == WHOLE and written.edit is None
    assert [r.options.edit_format for r in writer.requests] == ["diff", "whole"]
    record = EditRecord.model_validate(written.meta["edit"])
    assert record.outcome is EditOutcome.FELL_BACK and record.reason is PatchFailure.NOT_FOUND


# ---- options and records --------------------------------------------------------------------


def test_edit_format_is_a_checked_operator_option():
    assert parse_operator_options({}).edit_format == "whole"
    assert parse_operator_options({"edit_format": "diff"}).edit_format == "diff"
    with pytest.raises(ConfigError, match="edit_format"):
        parse_operator_options({"edit_format": "patch"})


def test_edit_counts_count_diff_steps_by_outcome_and_nodes_read_them_typed():
    metas = [
        {"edit": EditRecord(outcome=EditOutcome.APPLIED, blocks=1).to_meta()},
        {"edit": EditRecord(outcome=EditOutcome.APPLIED, blocks=2).to_meta()},
        {"edit": {"outcome": "fell_back", "reason": "not_found"}},
        {"family": "linear"},
    ]
    counts = edit_counts(metas)
    assert (counts.applied, counts.fell_back, counts.whole_answer, counts.steps) == (2, 1, 0, 3)
    assert counts.as_dict() == {"applied": 2, "fell_back": 1, "whole_answer": 0}
    assert edit_counts([{"family": "linear"}]).as_dict() == {}
    node = Node(id=1, operator="improve", meta=metas[2])
    assert node.info.edit is not None and node.info.edit.reason is PatchFailure.NOT_FOUND
