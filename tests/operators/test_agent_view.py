"""No prompt shows a score the agent may not see: select/test never, search under self_reported.

Every operator's prompt (single and ReAct) and the analysis prompt are rendered for a history whose
hidden scores are distinctive numbers, and grepped for them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

import pytest

from airlab.backends import ChatModel, Completion, Message, Usage
from airlab.errors import BackendError
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.analysis import analyse_execution
from airlab.operators.prompting import PromptSettings
from airlab.sandbox import get_sandbox
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import resolve_task
from tiny_task import FORKED

SEARCH, SELECT, TEST, SELF = 0.123456, 0.234567, 0.345678, 0.876543
HIDDEN_SEARCH = ("0.12346", "0.123456")
NEVER = ("0.23457", "0.234567", "0.34568", "0.345678")


class Recorder(ChatModel):
    """Answers every prompt with one fixed reply and keeps the prompts."""

    name = "recorder"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def complete(self, messages: Sequence[Message], *, purpose: str = "") -> Completion:
        self.prompts.append("\n".join(m.content for m in messages))
        return Completion(self.reply, Usage(1, 1, 0.0, 1), "m", "stop")


def _good(node_id: int, **fields) -> Node:
    return Node(
        id=node_id,
        operator="draft",
        status=NodeStatus.GOOD,
        plan=f"Plan {node_id}.",
        code=f"model = fit(depth={node_id})\n",
        search_score=SEARCH,
        select_score=SELECT,
        test_score=TEST,
        self_reported_score=SELF,
        exec_seconds=3.0,
        meta={"family": "linear"},
        **fields,
    )


HISTORY = (
    _good(0),
    _good(1),
    _good(2, parent_ids=(0,)).model_copy(update={"operator": "improve"}),
    Node(
        id=3,
        operator="draft",
        status=NodeStatus.BUGGY,
        plan="Broken.",
        code="raise ValueError\n",
        failure="error",
        error="ValueError",
        stderr_tail="Traceback\nValueError",
    ),
)
PARENTS = {"draft": (), "improve": (HISTORY[2],), "debug": (HISTORY[3],), "crossover": HISTORY[:2]}


def _context(operator: str, fitness: str, backend, tmp_path, **options) -> OperatorContext:
    task = resolve_task("digits")
    return OperatorContext(
        task=task,
        parents=PARENTS[operator],
        history=HISTORY,
        backend=backend,
        seed=0,
        node_id=9,
        limits=ExecutionLimits(time_s=60, memory_mb=1024),
        options=options,
        sandbox=get_sandbox("process"),
        scratch_dir=tmp_path / "react" / "0009",
        hidden_paths=(task.private_dir,),
        fitness_source=fitness,  # type: ignore[arg-type]
    )


def _prompt(operator: str, mode: str, fitness: str, tmp_path) -> str:
    if mode == "react":
        model = Recorder("Done.\nACTION: submit")
        options = {"mode": "react", "react_turns": 1}
    else:
        model = Recorder("Plan.\n```python\nx = 2\n```")
        options = {}
    # a ReAct draft that submits nothing raises; its prompt was still sent
    with contextlib.suppress(BackendError):
        OPERATORS.get(operator).apply(_context(operator, fitness, model, tmp_path, **options))
    assert model.prompts
    return model.prompts[0]


@pytest.mark.parametrize("mode", ["single", "react"])
@pytest.mark.parametrize("operator", ["draft", "improve", "debug", "crossover"])
def test_operator_prompts_hide_search_scores_under_self_reported(operator, mode, tmp_path):
    hidden = _prompt(operator, mode, "hidden", tmp_path / "h")
    own = _prompt(operator, mode, "self_reported", tmp_path / "s")
    for prompt in (hidden, own):
        assert not any(score in prompt for score in NEVER), prompt
    assert not any(score in own for score in HIDDEN_SEARCH), own
    if operator != "debug":  # a debug prompt shows its failed parent, and no memory
        assert "0.87654" in own  # the self-reported score is the agent's own: it stays
        assert any(score in hidden for score in HIDDEN_SEARCH)


def test_analysis_prompt_hides_search_score_under_self_reported():
    task = resolve_task("digits")
    graded = HISTORY[0].model_copy(update={"stdout_tail": "self_reported_score: 0.876543"})
    prompts = {}
    for fitness in ("hidden", "self_reported"):
        model = Recorder("It ran.")
        summary, usage = analyse_execution(
            model, task, graded, PromptSettings(), fitness_source=fitness
        )
        assert summary == "It ran." and usage.calls == 1
        prompts[fitness] = model.prompts[0]
    assert "Outcome: score 0.12346, self-reported 0.87654" in prompts["hidden"]
    assert "Outcome: score self-reported 0.87654" in prompts["self_reported"]
    for prompt in prompts.values():
        assert not any(score in prompt for score in NEVER)


def test_memory_ranks_by_self_reported_score_when_search_scores_are_hidden(tmp_path):
    prompt = _prompt("draft", "single", "self_reported", tmp_path)
    assert "4 attempts so far; best self-reported score 0.87654 (#0)" in prompt


def _shown(score: float) -> set[str]:
    return {f"{score:.5g}", f"{score:.6g}", f"{score:.4f}", repr(score)}


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["greedy", "llm_first"])
def test_no_request_of_a_self_reported_run_holds_a_hidden_score(policy, tmp_path):
    """Every request a self-reported search sends (writes, analyses, LLM-first's choices) is
    grepped for every hidden score the journal holds."""
    from airlab.runner import Run, RunConfig
    from airlab.testing.fake_llm import FakeLLMServer
    from backends.scripted_agent import scripted_agent

    with FakeLLMServer(scripted_agent) as server:
        config = RunConfig.model_validate(
            {
                "task": "digits",
                "backend": f"openai-compatible/coder@{server.openai_url}",
                "backend_options": {"retry_base_s": 0.01},
                "budget": {"steps": 5},
                "policy": policy,
                "policy_params": {"num_drafts": 2},
                "selection": {"fitness": "self_reported"},
                "workers": 1,
                "runs_dir": str(tmp_path),
                "limits": {"time_s": 60},
                "sandbox": FORKED,
            }
        )
        run = Run.create(config)
        run.execute()
        requests = "\n".join(m["content"] for r in server.requests for m in r.body["messages"])
    nodes = run.journal.nodes()
    assert sum(n.is_good for n in nodes) >= 2 and "improve" in [n.operator for n in nodes]
    assert "summarise what happened" in requests  # analyses were asked
    if policy == "llm_first":
        assert "You are steering a search" in requests  # and so was LLM-first's choice
    own = set().union(*(_shown(n.self_reported_score) for n in nodes if n.self_reported_score))
    hidden = {
        text
        for n in nodes
        for score in (n.search_score, n.select_score, n.test_score)
        if score is not None
        for text in _shown(score)
    }
    assert hidden and own & {t for t in own if t in requests}  # own scores are shown
    leaked = sorted(text for text in hidden - own if _appears(text, requests))
    assert not leaked, leaked


def _appears(number: str, text: str) -> bool:
    """`number` as a whole number in `text` (0.97 is not in 0.975)."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text) is not None
