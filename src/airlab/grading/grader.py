"""The hidden grader: the framework, not the agent, scores every submission.

One fixed protocol for every candidate: the same rows of the same hidden split, the same metric.
`search` scores are the fitness during the search; `select` scores choose the final node; `test`
is scored only for the final node. Nothing here is ever shown to the candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from airlab.errors import EvaluatorError
from airlab.grading.custom import load_grade_many
from airlab.grading.metrics import Metric, MetricContext
from airlab.grading.submission import (
    InvalidSubmission,
    check_submission,
    normalise_label,
)
from airlab.tasks.task import SPLIT_COLUMN, SPLITS, TEST_FILE, TRAIN_FILE, Task, read_csv


@dataclass(frozen=True)
class Grade:
    """Scores of one submission on the requested hidden splits, or why it is invalid."""

    valid: bool
    scores: dict[str, float] = field(default_factory=dict)
    reason: str | None = None


class Grader:
    """Scores submissions of one task against its hidden answers."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.spec = task.spec
        self.metric: Metric = task.metric
        path = task.grader_path
        self._grade_many = load_grade_many(path) if path is not None else None
        answers = task.read_answers().set_index(self.spec.id_column)
        answers.index = answers.index.astype(str).str.strip()
        self._split_of = answers[SPLIT_COLUMN].astype(str)
        self._answers = answers.drop(columns=SPLIT_COLUMN)
        targets = answers[list(self.spec.target_columns)]
        if self.metric.kind in ("label", "probability"):
            targets = targets.map(normalise_label)
        self._truth = targets
        self._context = MetricContext(
            train_target=self._train_target(),
            params=dict(self.spec.metric_params),
            positive_label=normalise_label(self.spec.positive_label),
        )

    def _score_custom(self, predictions: pd.DataFrame, ids: pd.Index) -> float:
        """Hand the task's script the split's rows as DataFrames with the id column restored."""
        id_column = self.spec.id_column
        submission = predictions.loc[ids].rename_axis(id_column).reset_index()
        answers = self._answers.loc[ids].rename_axis(id_column).reset_index()
        return self.metric(submission, answers, self._context)

    def _train_target(self) -> np.ndarray | None:
        if self.metric.name != "mase":
            return None
        train = pd.read_csv(self.task.public_dir / TRAIN_FILE)
        return train[self.spec.target_columns[0]].to_numpy(dtype=float)

    def rows(self, split: str) -> pd.Index:
        return self._split_of.index[self._split_of == split]

    def truth(self, split: str) -> pd.DataFrame:
        """The split's answers (target columns, as the metric reads them), by id: for framework
        code only (the ensemble step reads `search`); never shown to a candidate."""
        return self._truth.loc[self.rows(split)]

    def segments(self, split: str) -> pd.Series | None:
        """The split's declared segment (task.yaml's `segment_column`) by id, as strings, from
        the hidden answers or else the public test table; None where none is declared. For
        framework code only, as `truth`."""
        column = self.spec.segment_column
        if column is None:
            return None
        ids = self.rows(split)
        if column in self._answers.columns:
            values = self._answers.loc[ids, column]
        else:
            test = read_csv(
                self.task.public_dir / TEST_FILE,
                usecols=[self.spec.id_column, column],
                dtype={self.spec.id_column: str},
            )
            values = test.set_index(test[self.spec.id_column].str.strip())[column].loc[ids]
        return values.astype(str)

    @property
    def context(self) -> MetricContext:
        return self._context

    def grade(self, submission: bytes | pd.DataFrame | None, splits: Sequence[str]) -> Grade:
        """Check the submission once, then score it on each requested split."""
        unknown = [s for s in splits if s not in SPLITS]
        if unknown:
            raise ValueError(f"unknown split {unknown[0]!r}; splits are {', '.join(SPLITS)}")
        if submission is None:
            return Grade(valid=False, reason="no submission.csv was written")
        try:
            checked = check_submission(submission, self.spec, self.metric, self.task.test_ids)
        except InvalidSubmission as exc:
            return Grade(valid=False, reason=str(exc))
        if self.metric.kind == "raw" and self._grade_many is not None and len(splits) > 1:
            return self._grade_together(checked.predictions, splits)
        scores: dict[str, float] = {}
        for split in splits:
            ids = self.rows(split)
            if self.metric.kind == "raw":
                own = self.spec.grader or self.spec.grade_fn
                try:
                    score = self._score_custom(checked.predictions, ids)
                except EvaluatorError as exc:
                    return Grade(valid=False, reason=f"{own} could not grade {split}: {exc}")
                except Exception as exc:  # a task's own grader rejects a submission by raising
                    reason = f"{own} rejected the submission on {split}: {exc!r}"
                    return Grade(valid=False, reason=reason)
            else:
                try:
                    score = self._score_arrays(checked.predictions, ids)
                except ValueError as exc:
                    reason = f"{self.metric.name} failed on {split}: {exc}"
                    return Grade(valid=False, reason=reason)
            if not np.isfinite(score):
                return Grade(valid=False, reason=f"{self.metric.name} is not finite on {split}")
            scores[split] = score
        return Grade(valid=True, scores=scores)

    def _grade_together(self, predictions: pd.DataFrame, splits: Sequence[str]) -> Grade:
        """Every requested split in one call of the script's `grade_many`."""
        assert self._grade_many is not None
        id_column = self.spec.id_column
        pairs = [
            (
                predictions.loc[ids].rename_axis(id_column).reset_index(),
                self._answers.loc[ids].rename_axis(id_column).reset_index(),
            )
            for ids in (self.rows(split) for split in splits)
        ]
        try:
            values = [float(v) for v in self._grade_many(pairs)]
        except EvaluatorError as exc:
            return Grade(valid=False, reason=f"{self.spec.grader} could not grade: {exc}")
        except Exception as exc:  # a task's own grader rejects a submission by raising
            reason = f"{self.spec.grader} rejected the submission: {exc!r}"
            return Grade(valid=False, reason=reason)
        for split, value in zip(splits, values, strict=True):
            if not np.isfinite(value):
                return Grade(valid=False, reason=f"{self.metric.name} is not finite on {split}")
        return Grade(valid=True, scores=dict(zip(splits, values, strict=True)))

    def _score_arrays(self, predictions: pd.DataFrame, ids: pd.Index) -> float:
        truth = self._truth.loc[ids].to_numpy()
        predicted = predictions.loc[ids].to_numpy()
        if truth.shape[1] == 1:
            truth, predicted = truth[:, 0], predicted[:, 0]
        return self.metric(truth, predicted, self._context)
