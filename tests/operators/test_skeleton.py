"""The prompts' help for small models: the exact submission format, and an I/O skeleton that
runs as it is and writes a submission the grader accepts, on tasks of every prediction kind."""

from __future__ import annotations

import ast

import pytest

from airlab.backends.base import ChatModel, Completion, Message, Usage
from airlab.grading.grader import Grader
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.skeleton import io_skeleton
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import load_task, resolve_task

LIMITS = ExecutionLimits(time_s=60, memory_mb=2048)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits", "breast-cancer", "diabetes", "fair", "co2", "anes96"])
def test_the_skeleton_runs_and_its_submission_is_valid(name, tmp_path):
    task = resolve_task(name)
    script = io_skeleton(task)
    assert script is not None
    ast.parse(script)
    assert 'pd.read_csv("public/train.csv")' in script and "submission.csv" in script
    execution = get_sandbox("process").run(
        ExecutionRequest(script=script, workdir=tmp_path, public_dir=task.public_dir, limits=LIMITS)
    )
    assert execution.exit_code == 0, execution.stderr_tail
    grade = Grader(task).grade(execution.submission, ("search",))
    assert grade.valid, grade.reason
    assert "self_reported_score:" not in execution.stdout_tail  # a constant claims nothing


def test_no_skeleton_without_a_train_test_pair(make_task, tmp_path):
    task = load_task(make_task())
    assert io_skeleton(task) is not None
    (task.public_dir / "train.csv").rename(task.public_dir / "train_data.csv")
    assert io_skeleton(task) is None


class Recorder(ChatModel):
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[list[Message]] = []

    def complete(self, messages, *, purpose=""):
        self.seen.append(list(messages))
        return Completion("Plan.\n```python\nprint(1)\n```", Usage(1, 1, 0.0, 1), "r")


def _prompt(make_task, **options):
    task = load_task(make_task())
    chat = Recorder()
    context = OperatorContext(
        task=task,
        parents=(),
        history=(),
        backend=chat,
        seed=0,
        node_id=0,
        limits=LIMITS,
        options=options,
    )
    OPERATORS.get("draft").apply(context)
    return chat.seen[0][1]


def test_the_prompt_states_the_format_and_marks_the_task_prefix(make_task):
    message = _prompt(make_task)
    prompt = message.content
    assert "with exactly the header `id,y`" in prompt
    assert '`public/test.csv` has no "y" column' in prompt
    assert "## A runnable start" in prompt and 'TARGETS = ["y"]' in prompt
    # the cacheable prefix is the task part, the same in every call of a run
    prefix = prompt[: message.cache_prefix]
    assert prefix.startswith("# Task:") and prefix.rstrip().endswith("fix random seeds.")
    assert "# Your step" not in prefix and "# Your step" in prompt[message.cache_prefix :]


def test_the_skeleton_can_be_switched_off(make_task):
    assert "## A runnable start" not in _prompt(make_task, skeleton=False).content
