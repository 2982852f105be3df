"""Policies decide the next step from the journal, and only decide: they never run code.

A policy keeps no private state: `propose` is a function of the search tree (pending nodes
included) and a generator seeded per step, so a resumed run continues the same policy.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from airlab.backends.base import Backend
from airlab.journal.tree import SearchTree
from airlab.params import Params

POLICY_META = "policy"
"""Key of a node's `meta` under which the runner stores `Step.meta`."""


@dataclass(frozen=True)
class Step:
    """Apply `operator` to `parent_ids`; `note` says why, for people reading the tree.

    `meta` is stored on the new node (under `POLICY_META`): what the policy decided about it,
    such as its island, that the policy itself reads back from the journal later.
    """

    operator: str
    parent_ids: tuple[int, ...] = ()
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class PolicyParams(Params):
    """Base of each policy's hyperparameters; unknown keys are errors."""


class Policy(abc.ABC):
    name: ClassVar[str]
    Params: ClassVar[type[PolicyParams]]

    def __init__(
        self, params: PolicyParams, operators: tuple[str, ...], backend: Backend | None = None
    ) -> None:
        self.params = params
        self.operators = operators
        self.backend = backend
        """The run's backend, for policies that consult it (LLM-first search); others ignore it."""

    @abc.abstractmethod
    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        """The next step, or None to wait until a running candidate finishes."""
