"""The contract every backend must keep, through the operators, as a run uses it.

A backend (a program writer such as the templates, or a chat model) must give every operator a
candidate with a plan and a script that compiles; improve, debug and crossover must work from
parents it wrote itself; usage is never negative; and, with `check_execution`, a draft must run
in a sandbox on the task's public data and write a submission the grader accepts. With
`deterministic`, the same request must give the same candidate.

    class TestMyBackend(BackendSuite):
        deterministic = True

        @pytest.fixture
        def backend(self):
            return MyBackend()

A chat model used here must answer the operators' prompts with a fenced Python script.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airlab import pyast
from airlab.backends.base import Backend, Candidate, ChatModel, Message
from airlab.grading.grader import Grader
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.sandbox.base import SUBMISSION_FILE, ExecutionLimits, ExecutionRequest
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import load_task
from airlab.tasks.task import Task
from airlab.testing.tasks import write_tiny_task

LIMITS = ExecutionLimits(time_s=120, memory_mb=2048, cpus=1)


def write(
    backend: Backend,
    task: Task,
    operator: str,
    parents: tuple[Node, ...] = (),
    history: tuple[Node, ...] = (),
    *,
    seed: int = 0,
    node_id: int = 0,
) -> Candidate:
    """What the runner does for one step: the operator applied with this backend."""
    context = OperatorContext(
        task=task,
        parents=parents,
        history=history,
        backend=backend,
        seed=seed,
        node_id=node_id,
        limits=LIMITS,
    )
    return OPERATORS.get(operator).apply(context)


def as_node(node_id: int, candidate: Candidate, *, good: bool = True, score: float = 0.8) -> Node:
    """A finished node holding `candidate`, as the journal would give it back."""
    fields: dict[str, object] = (
        {"status": NodeStatus.GOOD, "search_score": score}
        if good
        else {
            "status": NodeStatus.BUGGY,
            "failure": "error",
            "error": "ValueError: boom",
            "stderr_tail": "Traceback (most recent call last):\nValueError: boom",
            "exit_code": 1,
        }
    )
    return Node(
        id=node_id,
        operator="draft",
        plan=candidate.plan,
        code=candidate.code,
        meta=dict(candidate.meta),
        exec_seconds=1.0,
        finished_at=float(node_id + 1),
        **fields,  # type: ignore[arg-type]
    )


def check_candidate(candidate: Candidate, operator: str) -> None:
    assert isinstance(candidate, Candidate), f"{operator}: got {type(candidate).__name__}"
    assert isinstance(candidate.plan, str), f"{operator}: the plan is not text"
    assert candidate.code.strip(), f"{operator}: the candidate has no code"
    try:
        pyast.parse(candidate.code)
    except SyntaxError as exc:
        raise AssertionError(f"{operator}: the code does not compile: {exc}") from None
    usage = candidate.usage
    assert min(usage.tokens_in, usage.tokens_out, usage.calls, usage.cost_usd) >= 0, (
        f"{operator}: the candidate's usage has a negative count: {usage}"
    )


class BackendSuite:
    """Subclass it and provide the `backend` fixture (a fresh backend per test)."""

    deterministic: bool = False
    """The same request gives the same candidate (true of offline backends)."""
    check_execution: bool = True
    """A draft is executed and its submission graded (needs a backend that writes real,
    working solutions for a small tabular task)."""

    @pytest.fixture
    def backend(self) -> Backend:
        raise NotImplementedError("a BackendSuite subclass provides the backend fixture")

    @pytest.fixture
    def task(self, tmp_path: Path) -> Task:
        """A small binary classification task (three numeric columns, accuracy)."""
        return load_task(write_tiny_task(tmp_path / "tiny"))

    def test_draft_is_a_script_that_compiles(self, backend: Backend, task: Task) -> None:
        check_candidate(write(backend, task, "draft"), "draft")

    def test_every_operator_works_from_its_own_parents(self, backend: Backend, task: Task) -> None:
        first = as_node(0, write(backend, task, "draft", node_id=0))
        second = as_node(1, write(backend, task, "draft", history=(first,), seed=1, node_id=1))
        history = (first, second)
        improved = write(backend, task, "improve", (first,), history, node_id=2)
        check_candidate(improved, "improve")
        broken = as_node(2, improved, good=False)
        check_candidate(
            write(backend, task, "debug", (broken,), (*history, broken), node_id=3), "debug"
        )
        crossed = write(backend, task, "crossover", (first, second), history, node_id=4)
        check_candidate(crossed, "crossover")

    def test_same_request_gives_the_same_candidate(self, backend: Backend, task: Task) -> None:
        if not self.deterministic:
            pytest.skip("the backend does not claim to be deterministic")
        once = write(backend, task, "draft", seed=3, node_id=5)
        again = write(backend, task, "draft", seed=3, node_id=5)
        assert (once.plan, once.code) == (again.plan, again.code), (
            "deterministic = True, but the same request gave another plan or code"
        )

    def test_draft_runs_and_its_submission_is_valid(
        self, backend: Backend, task: Task, tmp_path: Path
    ) -> None:
        if not self.check_execution:
            pytest.skip("check_execution is off for this backend")
        candidate = write(backend, task, "draft")
        execution = get_sandbox("process").run(
            ExecutionRequest(
                script=candidate.code,
                workdir=tmp_path / "work",
                public_dir=task.public_dir,
                limits=LIMITS,
                hidden_paths=(task.private_dir,),
            )
        )
        assert execution.succeeded, f"the draft failed: {execution.stderr_tail[-2000:]}"
        grade = Grader(task).grade(execution.submission, ("search",))
        assert grade.valid, f"{SUBMISSION_FILE} was refused: {grade.reason}"

    def test_chat_model_reports_its_usage(self, backend: Backend) -> None:
        if not isinstance(backend, ChatModel):
            pytest.skip("not a chat model")
        completion = backend.complete(
            [Message("system", "You write code."), Message("user", "Say hi.")], purpose="test"
        )
        assert isinstance(completion.text, str), (
            f"complete() must return text, got {type(completion.text).__name__}"
        )
        assert completion.usage.calls >= 1, "a model call must count itself in its usage"
        assert min(completion.usage.tokens_in, completion.usage.tokens_out) >= 0, (
            f"negative token counts in the usage: {completion.usage}"
        )
