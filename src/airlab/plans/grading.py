"""Grading a text candidate on its task's hidden rubric, split by split.

The same protocol as rows (see `airlab.grading.grader`): one judge call per grading over the
leaves of the requested splits; each split's score is the rubric's weighted tree mean over its
own leaves. An item the judge failed to decide is recorded with its failure and left out of the
mean (never counted as 0 or 1); a split with no decided item has no score, and the grade is not
valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from airlab.grading.metrics import Metric, MetricContext
from airlab.journal.tree import RUBRIC_META, RUBRIC_TEST_META
from airlab.plans.rubric import ITEM_SPLITS, Verdict, tree_score
from airlab.tasks.spec import RUBRIC_METRIC

if TYPE_CHECKING:
    from airlab.plans.judge import Judge
    from airlab.tasks.task import Task

__all__ = ["RUBRIC_META", "RUBRIC_SCORE", "RUBRIC_TEST_META", "RubricGrader", "TextGrade"]


def _not_a_table(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> float:
    raise TypeError("the rubric score is computed by a judge, not from a submission table")


RUBRIC_SCORE = Metric(
    RUBRIC_METRIC, "maximize", "raw", _not_a_table, needs_single_target=False, best_value=1.0
)
"""A text task's metric: the weighted share of rubric items satisfied (0 to 1)."""


@dataclass(frozen=True)
class TextGrade:
    """Scores of one text on the requested splits, the verdicts behind them, or why none."""

    scores: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def failures(self) -> int:
        return sum(1 for vs in self.verdicts.values() for v in vs if v.failure is not None)

    def to_meta(self, texts: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        """The verdicts as stored on a node, each with its item's text (for the viewer; agents
        see a node through `agent_view`, which keeps only `search` verdicts, without texts)."""
        return {
            split: [
                {**v.model_dump(mode="json"), "text": texts.get(v.item_id, "")} for v in verdicts
            ]
            for split, verdicts in self.verdicts.items()
        }


class RubricGrader:
    """Grades texts of one task with one judge (the task's rubric and its fixed item split)."""

    metric = RUBRIC_SCORE

    def __init__(self, task: Task, judge: Judge) -> None:
        self.task = task
        self.judge = judge
        self.rubric = task.rubric
        self.split = task.item_split
        self.leaves = {leaf.id: leaf for leaf in self.rubric.leaves()}
        self.texts = {leaf_id: leaf.text for leaf_id, leaf in self.leaves.items()}

    def grade(self, text: str, splits: Sequence[str]) -> TextGrade:
        """Judge the leaves of `splits` in one call and score each split on its own leaves."""
        unknown = [s for s in splits if s not in ITEM_SPLITS]
        if unknown:
            raise ValueError(f"unknown split {unknown[0]!r}; splits are {', '.join(ITEM_SPLITS)}")
        if not text.strip():
            return TextGrade(reason="the text is empty")
        ids = [i for s in splits for i in self.split.ids(s)]
        leaves = [self.leaves[i] for i in sorted(set(ids), key=list(self.leaves).index)]
        verdicts = {v.item_id: v for v in self.judge.judge(text, leaves, context=self.context)}
        missing = [leaf.id for leaf in leaves if leaf.id not in verdicts]
        if missing:
            raise ValueError(f"the judge returned no verdict for item {missing[0]}")
        by_split = {s: [verdicts[i] for i in self.split.ids(s)] for s in splits}
        scores: dict[str, float] = {}
        for split, chosen in by_split.items():
            values = {v.item_id: v.value for v in chosen if v.value is not None}
            score = tree_score(self.rubric, values, only=values) if values else None
            if score is None:
                failed = len(chosen)
                return TextGrade(
                    verdicts=by_split,
                    reason=f"the judge decided none of the {failed} {split} item(s)",
                )
            scores[split] = score
        return TextGrade(scores=scores, verdicts=by_split)

    @property
    def context(self) -> str:
        """What the judge is told the text answers: the goal the agent read."""
        return self.task.description
