"""Operators turn parents into a new candidate: draft, improve, debug, crossover.

An operator knows what its step means; the backend supplies the writing. A program writer (the
templates) gets a structured request; chat models get the operator's prompt (see `prompts/`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from airlab.backends.base import Backend, Candidate, ProgramWriter, WriteRequest
from airlab.errors import BackendError
from airlab.journal.node import Node
from airlab.sandbox.base import ExecutionLimits
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
    options: Mapping[str, Any] = field(default_factory=dict)
    """Run-level operator settings (operator set flags such as memory or diversity cues,
    prompt options); passed through to program writers as `WriteRequest.options`."""


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
            return backend.write(
                WriteRequest(
                    operator=self.name,
                    task=context.task,
                    parents=context.parents,
                    history=context.history,
                    seed=context.seed,
                    node_id=context.node_id,
                    options=dict(context.options),
                )
            )
        return self.apply_with_model(context)

    def apply_with_model(self, context: OperatorContext) -> Candidate:
        raise BackendError(f"backend {context.backend.name!r} cannot write candidates")


class Draft(Operator):
    """A new solution from scratch, ideally unlike earlier drafts."""

    name = "draft"
    arity = 0


class Improve(Operator):
    """One focused change to a working solution."""

    name = "improve"
    arity = 1


class Debug(Operator):
    """Repair a failed solution from its error output."""

    name = "debug"
    arity = 1


class Crossover(Operator):
    """Combine two solutions into one."""

    name = "crossover"
    arity = 2
