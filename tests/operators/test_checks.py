"""Candidates that must not run (cut off, uncompilable, a parent's copy), usage kept when no code
comes, ReAct through the run's executor, and one metric for a task with its own grade.py."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest
import yaml

from airlab.backends import Candidate, ChatModel, Completion, Message, Usage
from airlab.errors import NoCodeError
from airlab.failures import Failure
from airlab.grading import Grader
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.checks import candidate_problem
from airlab.operators.react import CUT_OFF
from airlab.sandbox import get_sandbox
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import load_task, resolve_task

CODE = "import pandas as pd\nprint('self_reported_score: 0.5')\n"


class Answers(ChatModel):
    """Replies from a list of (text, finish_reason), one per call."""

    name = "answers"

    def __init__(self, *replies: tuple[str, str]) -> None:
        self.replies = list(replies)
        self.seen: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.seen.append(list(messages))
        text, finish = self.replies.pop(0)
        return Completion(text, Usage(100, 50, 0.01, 1), "m", finish)


def _parent(code: str = CODE) -> Node:
    return Node(id=3, operator="draft", status=NodeStatus.GOOD, code=code, search_score=0.5)


def _context(backend, *, parents=(), task=None, tmp_path=None, **options) -> OperatorContext:
    task = task or resolve_task("digits")
    return OperatorContext(
        task=task,
        parents=tuple(parents),
        history=tuple(parents),
        backend=backend,
        seed=0,
        node_id=4,
        limits=ExecutionLimits(time_s=30, memory_mb=2048),
        options=options,
        sandbox=get_sandbox("process") if tmp_path else None,
        scratch_dir=tmp_path / "react" / "0004" if tmp_path else None,
        hidden_paths=(task.private_dir,),
    )


def test_problems_truncated_uncompilable_and_unchanged():
    parents = [_parent()]
    assert candidate_problem(Candidate("p", "x = 2\n"), parents) is None
    cut = Candidate("p", "x = 2\n", meta={"finish_reason": "length"})
    assert candidate_problem(cut, parents) == (
        Failure.TRUNCATED,
        "the answer was cut off at the output token limit (finish_reason 'length')",
    )
    kind, reason = candidate_problem(Candidate("p", "def f(:\n    pass\n"), parents)
    assert kind == "syntax" and reason.startswith("the code does not compile: ")
    assert "(line 1)" in reason
    unclosed = Candidate("p", "x = 2\n", meta={"incomplete_code": True})
    assert candidate_problem(unclosed, parents)[0] == Failure.TRUNCATED
    unclosed_broken = Candidate("p", "x = (\n", meta={"incomplete_code": True})
    assert candidate_problem(unclosed_broken, parents)[0] == Failure.TRUNCATED  # cut, not wrong
    copy = Candidate("p", CODE.replace("\n", "   \n") + "\n\n")
    assert candidate_problem(copy, parents) == (
        Failure.UNCHANGED,
        "the code is the same as node 3's",
    )


def test_an_answer_cut_off_at_the_token_limit_is_reminded_and_marked():
    closed = f"Plan.\n```python\n{CODE}```"
    model = Answers((closed, "length"), (closed, "stop"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert model.seen[1][-1].content.startswith("Your answer was cut off")
    assert candidate.meta["finish_reason"] == "stop" and "incomplete_code" not in candidate.meta
    assert candidate.usage.calls == 2 and candidate_problem(candidate, []) is None
    model = Answers((closed, "max_tokens"), (closed, "max_tokens"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert candidate.meta["finish_reason"] == "max_tokens" and candidate.meta["incomplete_code"]
    assert candidate_problem(candidate, [])[0] == Failure.TRUNCATED


def test_a_complete_answer_that_does_not_compile_is_told_why_and_marked_syntax():
    """Live (grunfeld, 1.5B model): a closed block, finish_reason `stop`, a call's parenthesis
    left open. It was reminded that it was "cut off", answered the same, and was recorded as
    `truncated`. It is the model's syntax error: the reminder quotes the compiler."""
    broken = "Plan.\n```python\nscores = cross_val_score(\n    make_pipeline(enc,\n    X, y)\n```"
    model = Answers((broken, "stop"), (broken, "stop"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    reminder = model.seen[1][-1].content
    assert reminder.startswith("Your script does not compile: '(' was never closed (line 1)")
    assert "cut off" not in reminder
    assert "incomplete_code" not in candidate.meta
    kind, reason = candidate_problem(candidate, [])
    assert (
        kind == Failure.SYNTAX
        and reason == "the code does not compile: '(' was never closed (line 1)"
    )
    model = Answers((broken, "stop"), (f"Fixed.\n```python\n{CODE}```", "stop"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert candidate.code == CODE and candidate_problem(candidate, []) is None


def test_an_unclosed_block_is_reminded_as_cut_off():
    model = Answers(
        ("Plan.\n```python\nx = (1,\n", "stop"), ("Plan.\n```python\nx = (1,\n", "stop")
    )
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert model.seen[1][-1].content.startswith("Your answer was cut off")
    assert candidate.meta["incomplete_code"]
    assert candidate_problem(candidate, [])[0] == Failure.TRUNCATED


def test_no_code_after_a_reminder_is_a_no_code_error():
    model = Answers(("I would use a forest.", "stop"), ("Still no code.", "stop"))
    with pytest.raises(NoCodeError, match="no Python code"):
        OPERATORS.get("draft").apply(_context(model))
    assert len(model.seen) == 2  # the answer and the reminder (both charged by the ledger)


def test_react_that_never_acts_resubmits_its_parent_which_is_unchanged(tmp_path):
    model = Answers(("Looks fine.\nACTION: submit", "stop"))
    candidate = OPERATORS.get("improve").apply(
        _context(model, parents=[_parent()], tmp_path=tmp_path, mode="react")
    )
    assert candidate.code == CODE
    assert candidate_problem(candidate, [_parent()])[0] == Failure.UNCHANGED


def test_react_does_not_act_on_a_cut_off_reply(tmp_path):
    cut = "ACTION: write_file solution.py\n```python\nimport pandas\n```"
    model = Answers((cut, "length"), ("ACTION: submit", "stop"))
    with pytest.raises(NoCodeError, match=r"no solution\.py after 2 turns"):
        OPERATORS.get("draft").apply(
            _context(model, tmp_path=tmp_path, mode="react", react_turns=2)
        )
    assert model.seen[1][-1].content == f"OBSERVATION:\n{CUT_OFF}"
    assert not (tmp_path / "react" / "0004" / "work" / "solution.py").exists()
    assert len(model.seen) == 2


def test_react_commands_run_through_the_context_executor(tmp_path):
    sandbox = get_sandbox("process")
    requests = []

    def execute(request):
        requests.append(request)
        return sandbox.run(request)

    model = Answers(
        ("ACTION: shell\n```bash\necho hello\n```", "stop"),
        ("ACTION: write_file solution.py\n```python\nx = 1\n```", "stop"),
        ("Done.\nACTION: submit", "stop"),
    )
    context = _context(model, tmp_path=tmp_path, mode="react")
    context = OperatorContext(**{**context.__dict__, "sandbox": None, "execute": execute})
    candidate = OPERATORS.get("draft").apply(context)
    assert candidate.code == "x = 1\n"
    assert len(requests) == 1 and "echo hello" in requests[0].script
    assert "exit code 0" in model.seen[1][-1].content and "hello" in model.seen[1][-1].content


GRADE_PY = """
import pandas as pd


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    merged = submission.merge(answers, on="id", suffixes=("_pred", "_true"))
    return float((merged["y_pred"].astype(str) == merged["y_true"].astype(str)).mean())
"""


def test_react_checks_a_submission_with_the_tasks_own_grader(make_task, tmp_path):
    root = make_task()
    data = yaml.safe_load((root / "task.yaml").read_text())
    data.update(metric="exact_share", direction="maximize", grader="grade.py")
    (root / "task.yaml").write_text(yaml.safe_dump(data))
    (root / "grade.py").write_text(GRADE_PY)
    task = load_task(root)
    assert task.metric.name == "exact_share" and Grader(task).metric is task.metric
    ids = pd.read_csv(task.public_dir / "test.csv")["id"]
    script = (
        "import pandas as pd\n"
        f"pd.DataFrame({{'id': {list(ids)!r}, 'y': 0}}).to_csv('submission.csv', index=False)\n"
    )
    model = Answers(
        (f"ACTION: write_file solution.py\n```python\n{script}```", "stop"),
        ("ACTION: shell\n```bash\npython solution.py\n```", "stop"),
        ("ACTION: check_submission", "stop"),
        ("Done.\nACTION: submit", "stop"),
    )
    OPERATORS.get("draft").apply(_context(model, task=task, tmp_path=tmp_path, mode="react"))
    observation = model.seen[3][-1].content
    assert f"has the right format ({len(ids)} rows)" in observation, observation


def test_a_debug_answering_its_parents_script_is_asked_once_more_naming_the_error():
    buggy = Node(
        id=3, operator="draft", status=NodeStatus.BUGGY, code=CODE, error="KeyError: 'invest'"
    )
    same = f"Plan.\n```python\n# only a comment differs\n{CODE}```"
    other = f"Plan.\n```python\n{CODE}print('changed')\n```"
    model = Answers((same, "stop"), (other, "stop"))
    candidate = OPERATORS.get("debug").apply(_context(model, parents=[buggy]))
    reminder = model.seen[1][-1].content
    assert "does the same" in reminder and "KeyError: 'invest'" in reminder
    assert "changed" in candidate.code and candidate.meta["unchanged_retry"] is True
    assert candidate.usage.calls == 2 and candidate.meta["llm_calls"] == 2
    assert candidate_problem(candidate, [buggy]) is None

    model = Answers((same, "stop"))
    off = _context(model, parents=[buggy], retry_unchanged=False)
    candidate = OPERATORS.get("debug").apply(off)
    assert len(model.seen) == 1
    assert candidate_problem(candidate, [buggy])[0] == Failure.UNCHANGED


def test_a_changed_answer_is_not_asked_again():
    model = Answers((f"Plan.\n```python\n{CODE}print('new')\n```", "stop"))
    candidate = OPERATORS.get("improve").apply(_context(model, parents=[_parent()]))
    assert len(model.seen) == 1 and "unchanged_retry" not in candidate.meta


def test_the_reminder_goes_exactly_where_the_check_would_refuse():
    """A good parent's script with only a comment changed runs (the check lets it through), so
    it is not asked again; the same text is refused, so it is."""
    commented = f"Plan.\n```python\n# a new comment\n{CODE}```"
    model = Answers((commented, "stop"))
    candidate = OPERATORS.get("improve").apply(_context(model, parents=[_parent()]))
    assert len(model.seen) == 1 and candidate_problem(candidate, [_parent()]) is None
    same = f"Plan.\n```python\n{CODE}```"
    model = Answers((same, "stop"), (f"Plan.\n```python\n{CODE}print('new')\n```", "stop"))
    candidate = OPERATORS.get("improve").apply(_context(model, parents=[_parent()]))
    assert len(model.seen) == 2 and candidate.meta["unchanged_retry"] is True


PLACEHOLDER = (
    "from sklearn.dummy import DummyClassifier\n"
    "model = DummyClassifier(strategy='prior')\n"
    "print('self_reported_score: 0.5')\n"
)


def test_a_script_a_check_would_refuse_is_asked_again_quoting_the_diagnosis():
    """Live (wine, 1.5B model): a draft planned gradient boosting and kept the skeleton's
    `DummyClassifier`; refused, it spent its step. Asked once more in the same conversation
    with the diagnosis, the step can still write a model."""
    kept = f"Plan: gradient boosting.\n```python\n{PLACEHOLDER}```"
    fixed = PLACEHOLDER.replace("DummyClassifier(strategy='prior')", "LogisticRegression()")
    fixed = "from sklearn.linear_model import LogisticRegression\n" + fixed
    model = Answers((kept, "stop"), (f"Plan.\n```python\n{fixed}```", "stop"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    reminder = model.seen[1][-1].content
    assert reminder.startswith("Your script would fail, so it was not run: the script's only "
                               "model is the constant `DummyClassifier` (line 2)")  # fmt: skip
    assert model.seen[1][-2].content.endswith(f"```python\n{PLACEHOLDER}\n```")  # its own answer
    assert candidate.meta["refused_retry"].startswith("the script's only model is the constant")
    assert candidate.usage.calls == 2 and candidate.meta["llm_calls"] == 2
    assert "LogisticRegression()" in candidate.code


def test_the_refused_retry_is_an_option_and_only_for_check_failures():
    kept = f"Plan.\n```python\n{PLACEHOLDER}```"
    model = Answers((kept, "stop"))
    OPERATORS.get("draft").apply(_context(model, retry_refused=False))
    assert len(model.seen) == 1
    model = Answers((kept, "stop"))
    OPERATORS.get("draft").apply(_context(model, check_constant=False))  # nothing refused
    assert len(model.seen) == 1
    broken = "Plan.\n```python\nx = (\n```"
    model = Answers((broken, "stop"), (broken, "stop"))  # a syntax error: its own reminder
    OPERATORS.get("draft").apply(_context(model))
    assert len(model.seen) == 2 and model.seen[1][-1].content.startswith("Your script does not")


def test_one_extra_call_at_most_a_step():
    """An improve asked again for an unchanged answer is not asked a third time when that
    answer keeps the placeholder: the check refuses it as a node, for debug."""
    same = f"Plan.\n```python\n{CODE}```"
    kept = f"Plan.\n```python\n{PLACEHOLDER}```"
    model = Answers((same, "stop"), (kept, "stop"))
    candidate = OPERATORS.get("improve").apply(_context(model, parents=[_parent()]))
    assert len(model.seen) == 2 and candidate.meta["unchanged_retry"] is True
    assert "refused_retry" not in candidate.meta


def test_a_retry_answered_without_code_keeps_the_first_answer():
    """Prose to the reminder (and to its own no-code reminder) does not lose the step's script:
    the first answer stands and is refused as a node, for debug."""
    kept = f"Plan.\n```python\n{PLACEHOLDER}```"
    model = Answers((kept, "stop"), ("I will fix it.", "stop"), ("Sure.", "stop"))
    candidate = OPERATORS.get("draft").apply(_context(model))
    assert len(model.seen) == 3 and candidate.code == PLACEHOLDER
    assert candidate.meta["refused_retry"].startswith("the script's only model is the constant")
    same = f"Plan.\n```python\n{CODE}```"
    model = Answers((same, "stop"), ("No.", "stop"), ("No.", "stop"))
    candidate = OPERATORS.get("improve").apply(_context(model, parents=[_parent()]))
    assert candidate.meta["unchanged_retry"] is True
    assert candidate_problem(candidate, [_parent()])[0] == Failure.UNCHANGED
