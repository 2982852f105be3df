"""The rubric a plan or revision is graded on: a weighted tree of yes/no items, split once.

A rubric lives in a task's `private/rubric.yaml` and is never shown to the agent. Leaves are the
items a judge decides (satisfied or not); an inner node scores as the weighted mean of its
children (PaperBench's rule), so a flat list is the special case of a one-level tree. Hidden
consistent evaluation works as for rows: the leaves are split once, seeded, into `search`
(fitness), `select` (final choice) and `test` (reported score), and each split's score is the tree
mean restricted to that split's leaves.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from airlab.errors import TaskError
from airlab.params import describe_error
from airlab.yamlfile import read_yaml

RUBRIC_FILE = "rubric.yaml"
RUBRIC_SCHEMA = 1
ITEM_SPLITS = ("search", "select", "test")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RubricItem(_Strict):
    """One node: a leaf (an item a judge decides) when it has no `items`, else a group."""

    text: str = Field(min_length=1)
    """What the plan must do or say, as one checkable statement (a group's heading for a node)."""
    weight: float = Field(1.0, gt=0)
    category: str | None = None
    items: list[RubricItem] = Field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.items


class Rubric(_Strict):
    """Contents of `rubric.yaml`."""

    schema_version: int = RUBRIC_SCHEMA
    items: list[RubricItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_schema(self) -> Rubric:
        if self.schema_version != RUBRIC_SCHEMA:
            raise ValueError(
                f"field 'schema_version': this airlab reads version {RUBRIC_SCHEMA}, "
                f"got {self.schema_version}"
            )
        return self

    def leaves(self) -> list[Leaf]:
        """Every leaf in document order, with its dotted id (`"2.1"`: first child of item 2)."""
        out: list[Leaf] = []

        def walk(items: Sequence[RubricItem], prefix: str) -> None:
            for number, item in enumerate(items, start=1):
                item_id = f"{prefix}{number}"
                if item.is_leaf:
                    out.append(
                        Leaf(id=item_id, text=item.text, weight=item.weight, category=item.category)
                    )
                else:
                    walk(item.items, f"{item_id}.")

        walk(self.items, "")
        return out


class Leaf(_Strict):
    """A decidable item with its position in the tree (what a judge is asked about)."""

    id: str
    text: str
    weight: float
    category: str | None = None


class ItemSplit(_Strict):
    """Which leaves count for which purpose; drawn once per task, recorded with the run."""

    seed: int
    search: list[str]
    select: list[str]
    test: list[str]

    def ids(self, split: str) -> list[str]:
        if split not in ITEM_SPLITS:
            raise ValueError(f"unknown split {split!r}; one of {', '.join(ITEM_SPLITS)}")
        return list(getattr(self, split))


def split_items(
    rubric: Rubric, *, seed: int, fractions: tuple[float, float, float] = (0.5, 0.25, 0.25)
) -> ItemSplit:
    """Deal the leaves into search / select / test, seeded, each split non-empty when the rubric
    has at least three leaves (a smaller rubric cannot be split and is refused)."""
    ids = [leaf.id for leaf in rubric.leaves()]
    if len(ids) < 3:
        raise TaskError(f"a rubric needs at least 3 items to split three ways, got {len(ids)}")
    order = list(ids)
    random.Random(seed).shuffle(order)
    total = sum(fractions)
    n_select = max(1, round(len(order) * fractions[1] / total))
    n_test = max(1, round(len(order) * fractions[2] / total))
    n_search = len(order) - n_select - n_test
    if n_search < 1:
        n_search, n_select = 1, len(order) - 1 - n_test
    keep = {item: position for position, item in enumerate(ids)}

    def in_order(chunk: Iterable[str]) -> list[str]:
        return sorted(chunk, key=keep.__getitem__)

    return ItemSplit(
        seed=seed,
        search=in_order(order[:n_search]),
        select=in_order(order[n_search : n_search + n_select]),
        test=in_order(order[n_search + n_select :]),
    )


def tree_score(
    rubric: Rubric, values: Mapping[str, float], *, only: Iterable[str] | None = None
) -> float | None:
    """The rubric's weighted-mean score from leaf values in [0, 1] (keyed by leaf id).

    `only` restricts scoring to some leaves (one split's); subtrees without any counted leaf drop
    out of their parent's mean. A counted leaf missing from `values` is an error, never a silent 0:
    a verdict the judge failed to give must be recorded as a failure by the caller first.
    Returns None when no leaf counts."""
    counted = set(only) if only is not None else None

    def node(items: Sequence[RubricItem], prefix: str) -> float | None:
        total = weight = 0.0
        for number, item in enumerate(items, start=1):
            item_id = f"{prefix}{number}"
            if item.is_leaf:
                if counted is not None and item_id not in counted:
                    continue
                if item_id not in values:
                    raise KeyError(f"no verdict for rubric item {item_id}")
                value = values[item_id]
            else:
                sub = node(item.items, f"{item_id}.")
                if sub is None:
                    continue
                value = sub
            total += item.weight * value
            weight += item.weight
        return total / weight if weight else None

    return node(rubric.items, "")


class VerdictFailure(StrEnum):
    """Why a judge gave no usable verdict for an item (recorded, never scored as 0 or 1)."""

    MALFORMED = "malformed"
    """The answer could not be parsed as a verdict, after the retries."""
    BACKEND = "backend"
    """The judge's model call failed."""
    MISSING = "missing"
    """The answer parsed but said nothing about this item."""


class Verdict(_Strict):
    """A judge's decision on one leaf: satisfied or not, with a short justification.

    `value` is the satisfied share over samples (1.0 or 0.0 for one sample; a mean under
    `--judge-samples` or a jury); None with `failure` set when no verdict could be had."""

    item_id: str
    value: float | None = Field(None, ge=0, le=1)
    justification: str = ""
    failure: VerdictFailure | None = None

    @model_validator(mode="after")
    def _value_or_failure(self) -> Verdict:
        if (self.value is None) == (self.failure is None):
            raise ValueError("a verdict has exactly one of 'value' and 'failure'")
        return self


def load_rubric(path: Path) -> Rubric:
    """Read and validate a `rubric.yaml`; raise TaskError with one line on any problem.

    A bare list of strings (the `facebook/research-plan-gen` layout) is accepted as equal-weight
    leaves."""
    raw = read_yaml(path, TaskError)
    if isinstance(raw, list):
        raw = {"items": [{"text": t} if isinstance(t, str) else t for t in raw]}
    if not isinstance(raw, dict):
        raise TaskError(f"{path}: expected a mapping with 'items', got {type(raw).__name__}")
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        raise TaskError(describe_error(str(path), exc, Rubric)) from None


def dump_rubric(rubric: Rubric, path: Path) -> None:
    """Write a rubric as `rubric.yaml` (the same model reads it back)."""
    data = rubric.model_dump(mode="json", exclude_defaults=False)

    def prune(items: list[dict[str, object]]) -> None:
        for item in items:
            if item.get("category") is None:
                item.pop("category", None)
            children = item.get("items")
            if isinstance(children, list) and children:
                prune(children)
            else:
                item.pop("items", None)

    prune(data["items"])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
