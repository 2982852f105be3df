"""A read-only view of the journal shaped for policies: structure and fitness, nothing hidden.

Policies decide from this view alone, which keeps them stateless (resumable from the journal) and
keeps the hidden `select` and `test` scores out of their reach: the view drops them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from airlab.journal.node import Node, NodeStatus

FitnessSource = Literal["hidden", "self_reported"]

_MIN_RUNTIME_RATIO = 1e-3
"""Floor on t/L, so that the factor stays bounded (0.001^w: 1.62 for w = -0.07)."""

_NEVER_SHOWN = {"select_score": None, "test_score": None}

RUBRIC_META = "rubric"
"""The key of `Node.meta` that holds a text node's verdicts: split → list of verdict dicts
(`search` and `select`, judged as it was written; see `airlab.plans.grading`)."""
RUBRIC_TEST_META = "rubric_test"
"""The same for the `test` items, judged once the node is chosen (or scored for analysis)."""


def _rubric_view(meta: dict[str, object]) -> dict[str, object] | None:
    """A text node's meta as an agent may see it: the `search` verdicts only (value and the
    judge's justification, not the item's sentence); None when nothing is hidden."""
    verdicts = meta.get(RUBRIC_META)
    if not isinstance(verdicts, dict) and RUBRIC_TEST_META not in meta:
        return None
    shown = {k: v for k, v in meta.items() if k not in (RUBRIC_META, RUBRIC_TEST_META)}
    if isinstance(verdicts, dict):
        search = verdicts.get("search", [])
        shown[RUBRIC_META] = {
            "search": [{k: v for k, v in d.items() if k != "text"} for d in search]
        }
    return shown


def agent_view(node: Node, fitness_source: FitnessSource = "hidden") -> Node:
    """The node as an agent (policy, prompt, program writer) may see it: never the hidden
    `select` and `test` scores, and not the hidden `search` score either when the run's fitness
    is the agent's own self-reported score. Every prompt built from nodes goes through this."""
    hidden: dict[str, object] = dict(_NEVER_SHOWN)
    if fitness_source == "self_reported":
        hidden["search_score"] = None
    meta = _rubric_view(node.meta)
    if meta is not None:
        hidden["meta"] = meta
    if all(getattr(node, name) is None for name in hidden if name != "meta") and meta is None:
        return node
    return node.model_copy(update=hidden)


def visible_score(node: Node) -> float | None:
    """The score an agent ranks a node it sees (an `agent_view`) by: its search score when it
    may see it, else the node's self-reported score."""
    if node.search_score is not None:
        return node.search_score
    return node.self_reported_score


@dataclass(frozen=True)
class SearchTree:
    """Nodes of a run (cancelled ones left out) with direction-aware fitness.

    The search score stays on the nodes even under `self_reported` fitness (displays and the
    final choice read it); what policies decide on is `score`, and what prompts show goes
    through `agent_view`."""

    nodes: tuple[Node, ...]
    maximize: bool
    fitness_source: FitnessSource = "hidden"
    runtime_weight: float = 0.0
    """MARS's efficiency exponent `w` (<= 0; 0: runtime ignored); see `runtime_factor`."""
    time_limit_s: float | None = None
    """The per-candidate time limit `L` the runtime is measured against."""

    @classmethod
    def from_nodes(
        cls,
        nodes: Iterable[Node],
        *,
        maximize: bool,
        fitness_source: FitnessSource = "hidden",
        runtime_weight: float = 0.0,
        time_limit_s: float | None = None,
    ) -> SearchTree:
        visible = tuple(
            node.model_copy(update=_NEVER_SHOWN)
            for node in nodes
            if node.status != NodeStatus.CANCELLED
        )
        return cls(visible, maximize, fitness_source, runtime_weight, time_limit_s)

    @cached_property
    def by_id(self) -> dict[int, Node]:
        return {node.id: node for node in self.nodes}

    @cached_property
    def _children(self) -> dict[int, list[Node]]:
        children: dict[int, list[Node]] = {node.id: [] for node in self.nodes}
        for node in self.nodes:
            for parent in node.parent_ids:
                children.setdefault(parent, []).append(node)
        return children

    def children(self, node_id: int) -> list[Node]:
        """Children of a node, pending ones included (they claim the node)."""
        return self._children.get(node_id, [])

    def is_leaf(self, node_id: int) -> bool:
        return not self.children(node_id)

    def score(self, node: Node) -> float | None:
        """The score the policy may see: hidden search score or self-reported, per the run."""
        if not node.is_good:
            return None
        if self.fitness_source == "self_reported":
            return node.self_reported_score
        return node.search_score

    def fitness(self, node: Node) -> float | None:
        """Score with its sign set so that higher is always better, weighed by the node's
        runtime when the run asks for it (`runtime_factor`). Every policy reads fitness here;
        the raw scores on the node stay what is recorded, reported and finally chosen on."""
        score = self.score(node)
        if score is None:
            return None
        signed = score if self.maximize else -score
        factor = self.runtime_factor(node)
        if factor == 1.0:
            return signed
        # R = G·(t/L)^w on a positive fitness; dividing a negative one (a lower-is-better
        # metric's negated score) keeps "faster is better" for both directions.
        return signed * factor if signed >= 0 else signed / factor

    def runtime_factor(self, node: Node) -> float:
        """MARS's efficiency factor (t/L)^w: above 1 for a run shorter than the limit L when
        w < 0 (it rewards speed), 1 without a weight, limit or measured runtime."""
        if self.runtime_weight == 0.0 or not self.time_limit_s or node.exec_seconds is None:
            return 1.0
        ratio = min(max(node.exec_seconds / self.time_limit_s, _MIN_RUNTIME_RATIO), 1.0)
        return float(ratio**self.runtime_weight)

    @property
    def good(self) -> list[Node]:
        return [node for node in self.nodes if self.fitness(node) is not None]

    @property
    def buggy(self) -> list[Node]:
        return [node for node in self.nodes if node.is_buggy]

    @property
    def in_flight(self) -> list[Node]:
        return [node for node in self.nodes if node.status.in_flight]

    def with_operator(self, *operators: str) -> list[Node]:
        return [node for node in self.nodes if node.operator in operators]

    def ranked(self, nodes: Sequence[Node] | None = None) -> list[Node]:
        """Good nodes best first; ties broken by the earlier node."""
        pool = self.good if nodes is None else [n for n in nodes if self.fitness(n) is not None]
        return sorted(pool, key=lambda node: (-(self.fitness(node) or 0.0), node.id))

    def best(self) -> Node | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None
