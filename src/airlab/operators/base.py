"""Operators turn parents into a new candidate: draft, improve, debug, crossover.

An operator knows what its step means; the backend supplies the writing. A program writer (the
templates) gets a structured request; chat models get the operator's prompt (see `prompts/`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from airlab.backends.base import Backend, Candidate, ProgramWriter, WriteRequest
from airlab.errors import BackendError
from airlab.failures import Failure
from airlab.journal.node import Node
from airlab.journal.tree import FitnessSource, agent_view
from airlab.lessons.store import RetrievedLesson
from airlab.operators.changes import change_summary
from airlab.operators.diff_edit import settle_written_edit, uses_diff
from airlab.operators.known_errors import explain
from airlab.operators.locate import excerpt, failing_line
from airlab.operators.memory import fix_chain
from airlab.operators.options import OperatorOptions, parse_operator_options
from airlab.operators.prompt_library import PACKAGED, PromptLibrary
from airlab.operators.prompting import PromptSettings, node_view, write_with_model
from airlab.sandbox.base import Execution, ExecutionLimits, ExecutionRequest, Sandbox
from airlab.sandbox.packages import Packages
from airlab.sandbox.paths import PackageData
from airlab.tasks.task import Task


@dataclass(frozen=True)
class OperatorContext:
    """What an operator may use: the task, its parents, the run's history, its backend."""

    task: Task
    parents: tuple[Node, ...]
    history: tuple[Node, ...]
    backend: Backend
    seed: int
    node_id: int
    limits: ExecutionLimits
    options: OperatorOptions = field(default_factory=OperatorOptions)
    """Run-level operator settings (operator set cues such as memory or diversity, prompt
    options), typed; passed on to program writers as `WriteRequest.options`. A mapping given
    here is validated into them."""
    sandbox: Sandbox | None = None
    """Where multi-turn operators (ReAct) run their commands."""
    scratch_dir: Path | None = None
    """This node's own folder for multi-turn work (workspace, transcript)."""
    hidden_paths: tuple[Path, ...] = ()
    """What commands run by an operator must never reach (answers, the journal)."""
    hidden_data: tuple[PackageData, ...] = ()
    """Package data they must not read either (the task's declared sources, airlab's own)."""
    fitness_source: FitnessSource = "hidden"
    """The run's fitness: under `self_reported` the hidden search score is never shown."""
    execute: Callable[[ExecutionRequest], Execution] | None = None
    """How multi-turn operators run a command: the run's pool when set, else `sandbox.run`."""
    prompts: PromptLibrary = PACKAGED
    """The run's prompt templates: its agent's own `prompts/` before the packaged ones."""
    lessons: tuple[RetrievedLesson, ...] = ()
    """Lessons from earlier tasks (`--lessons`): shown in draft and improve prompts, passed to
    program writers."""
    idea: Mapping[str, Any] | None = None
    """A draft's idea from the run's ideation step (`operators.ideation`), or None."""
    packages: Packages | None = None
    """What the candidates' sandbox can import (the run's probe), as the prompts state it;
    None: not probed (the prompts then name only numpy, pandas, scipy and scikit-learn)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", parse_operator_options(self.options))
        # Parents and history are what the agent may see of them, whoever built the context.
        for name in ("parents", "history"):
            nodes = tuple(agent_view(node, self.fitness_source) for node in getattr(self, name))
            object.__setattr__(self, name, nodes)


class Operator(abc.ABC):
    """One kind of step. `arity` is the number of parents it needs."""

    name: ClassVar[str]
    arity: ClassVar[int]

    def apply(self, context: OperatorContext) -> Candidate:
        if len(context.parents) != self.arity:
            raise ValueError(
                f"operator {self.name!r} takes {self.arity} parent(s), got {len(context.parents)}"
            )
        backend = context.backend
        if isinstance(backend, ProgramWriter):
            request = WriteRequest(
                operator=self.name,
                task=context.task,
                parents=context.parents,
                history=context.history,
                seed=context.seed,
                node_id=context.node_id,
                options=context.options,
                lessons=context.lessons,
                idea=dict(context.idea) if context.idea is not None else None,
            )
            written = backend.write(request)
            if written.edit is None:
                return written
            if not uses_diff(self.name, context):
                raise BackendError(f"backend {backend.name!r} wrote blocks for a whole-file step")
            whole = replace(
                request, options=request.options.model_copy(update={"edit_format": "whole"})
            )
            return settle_written_edit(
                written, context.parents[0].code, lambda: backend.write(whole)
            )
        return self.apply_with_model(context)

    def apply_with_model(self, context: OperatorContext) -> Candidate:
        """Ask a chat model: one prompt and one answer, or a ReAct episode with `mode=react`;
        a plan or revision task's text from its own prompts (`plan_writing.py`)."""
        if context.task.is_text:
            from airlab.operators.plan_writing import write_text_with_model

            return write_text_with_model(self, context)
        if context.options.mode == "react":
            from airlab.operators.react import run_react

            return run_react(self, context)
        return write_with_model(self, context)

    def prompt_variables(
        self, context: OperatorContext, settings: PromptSettings
    ) -> dict[str, Any]:
        """What this operator's prompt template needs beyond the task, limits and memory."""
        return {}


NEVER_RAN = frozenset(
    {Failure.CHECK_FAILED, Failure.TRUNCATED, Failure.SYNTAX, Failure.NO_CODE, Failure.UNCHANGED}
)
"""Failures that say nothing about an approach: a draft that never ran has not tried its family
(an xgboost draft refused for a missing package must not push the next drafts further away)."""


class Draft(Operator):
    """A new solution from scratch, ideally unlike earlier drafts."""

    name = "draft"
    arity = 0

    def prompt_variables(
        self, context: OperatorContext, settings: PromptSettings
    ) -> dict[str, Any]:
        families = (
            node.info.family
            for node in context.history
            if node.operator == "draft" and node.failure not in NEVER_RAN
        )
        tried = sorted({family for family in families if family})
        idea = context.idea
        shown = {"family": idea["family"], "plan": idea["plan"]} if idea is not None else None
        return {"approaches_tried": tried, "idea": shown}


class Improve(Operator):
    """One focused change to a working solution."""

    name = "improve"
    arity = 1

    def prompt_variables(
        self, context: OperatorContext, settings: PromptSettings
    ) -> dict[str, Any]:
        return {"parent": node_view(context.parents[0], settings, context.limits)}


class Debug(Operator):
    """Repair a failed solution from its error output."""

    name = "debug"
    arity = 1

    def prompt_variables(
        self, context: OperatorContext, settings: PromptSettings
    ) -> dict[str, Any]:
        parent = context.parents[0]
        known = {node.id: node for node in (*context.history, *context.parents)}
        chain = [
            {**node_view(node, settings), "changed": _changed(node, known)}
            for node in fix_chain(parent, known)
        ]
        line = failing_line(parent)
        return {
            "parent": node_view(parent, settings, context.limits),
            "fix_chain": chain,
            "failing_lines": excerpt(parent.code, line) if line is not None else "",
            "last_change": _changed(parent, known),
            "known_error": explain(parent.stderr_tail or "") or "",
        }


def _changed(node: Node, known: dict[int, Node]) -> str:
    """What a debug step changed in its parent's code, in one short line ("" for others)."""
    if node.operator != "debug" or not node.parent_ids or node.parent_ids[0] not in known:
        return ""
    return change_summary(known[node.parent_ids[0]].code, node.code) or "nothing but layout"


class Crossover(Operator):
    """Combine two solutions into one."""

    name = "crossover"
    arity = 2

    def prompt_variables(
        self, context: OperatorContext, settings: PromptSettings
    ) -> dict[str, Any]:
        return {"parents": [node_view(node, settings) for node in context.parents]}
