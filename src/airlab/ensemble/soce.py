"""Soup of Category Experts (Maiti et al., "Souper-Model", arXiv 2511.13254) over predictions.

SoCE: score every candidate per category, group categories whose candidate scores correlate
(Pearson), take the best candidate of each group as its expert, and search non-uniform weights
of the experts' mixture. The paper soups model weights; here each candidate is a solution, so
the mixture is of its submission: a weighted average of values and probabilities, a weighted
vote of labels. Every score is read on the hidden `search` split through the grader; nothing
here reads `select` or `test` answers (the caller compares the result on `select`).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import minimize
from scipy.spatial.distance import squareform

from airlab.errors import AirlabError
from airlab.grading.grader import Grader

SEARCH = "search"
MAX_CLASSES = 20
"""A single target with at most this many distinct answers is split by class, else by bins."""
VALUE_BINS = 4


class EnsembleError(AirlabError):
    """Why no ensemble can be built (too few candidates, a metric that cannot be mixed)."""


@dataclass(frozen=True)
class Ensemble:
    """The experts (candidate keys), their weights, and how they were found."""

    experts: tuple[str, ...]
    weights: tuple[float, ...]
    clusters: tuple[tuple[str, ...], ...]
    """Categories grouped by correlated candidate scores, one expert per group."""
    expert_of: dict[str, str] = field(default_factory=dict)
    """Category → the candidate chosen as its group's expert."""
    search_score: float | None = None

    def weight_of(self) -> dict[str, float]:
        return dict(zip(self.experts, self.weights, strict=True))


def _signed(grader: Grader, score: float) -> float:
    return score if grader.metric.maximize else -score


@dataclass(frozen=True)
class Category:
    """Rows of the search split, and the target column scored on them."""

    rows: pd.Index
    column: str


def categories(grader: Grader) -> dict[str, Category]:
    """Category → its rows of the search split and the target scored on them.

    Declared segments (task.yaml's `segment_column`) come first: each segment is a category
    (per target of a multi-target task). Else the targets of a multi-target task (all rows, one
    column each); else, for labels and probabilities, the classes of the single target; else
    quartile bins of its value (never distinct values: a 12-row forecast would be 12 one-row
    categories). Beyond `MAX_CLASSES` classes or segments, the most frequent ones are kept and
    the rest pooled."""
    truth = grader.truth(SEARCH)
    columns = list(truth.columns)
    segments = grader.segments(SEARCH)
    if segments is not None:
        groups = _frequent(segments, "segment", "other segments")
        if len(columns) == 1:
            return {name: Category(rows, columns[0]) for name, rows in groups.items()}
        return {
            f"{column} | {name}": Category(rows, column)
            for column in columns
            for name, rows in groups.items()
        }
    if len(columns) > 1:
        return {column: Category(truth.index, column) for column in columns}
    target = columns[0]
    values = truth[target].dropna()
    if grader.metric.kind in ("label", "probability"):
        groups = _frequent(values.astype(str), "class", "other classes")
        return {name: Category(rows, target) for name, rows in groups.items()}
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    bins = pd.qcut(numbers, VALUE_BINS, duplicates="drop")
    return {
        f"bin {interval}": Category(numbers.index[bins == interval], target)
        for interval in bins.cat.categories
    }


def _frequent(labels: pd.Series, kind: str, pooled: str) -> dict[str, pd.Index]:
    """`kind value` → its rows, for every value up to `MAX_CLASSES` of them; beyond, the most
    frequent `MAX_CLASSES − 1` and `pooled` holding the rest."""
    counts = labels.value_counts(sort=True)
    kept = sorted(counts.index[: MAX_CLASSES - 1] if len(counts) > MAX_CLASSES else counts.index)
    groups = {f"{kind} {label}": labels.index[labels == label] for label in kept}
    rest = labels.index[~labels.isin(kept)]
    if len(rest):
        groups[pooled] = rest
    return groups


def category_scores(grader: Grader, predictions: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Candidates × categories, direction-normalised (higher is better), on the search split.

    Per category the task's metric on that category's rows of its target column; where the
    metric is undefined there (AUC on a single class), the share of rows predicted right
    (labels) or the negated mean absolute error (numbers)."""
    truth = grader.truth(SEARCH)
    groups = categories(grader)
    table: dict[str, dict[str, float]] = {}
    for key, frame in predictions.items():
        row: dict[str, float] = {}
        for name, category in groups.items():
            expected = truth.loc[category.rows, category.column].to_numpy()
            predicted = frame.loc[category.rows, category.column].to_numpy()
            row[name] = _category_score(grader, expected, predicted)
        table[key] = row
    return pd.DataFrame.from_dict(table, orient="index")


def _category_score(grader: Grader, expected: np.ndarray, predicted: np.ndarray) -> float:
    try:
        with warnings.catch_warnings():  # one class's rows: sklearn warns of the others
            warnings.simplefilter("ignore", UserWarning)
            score = grader.metric(expected, predicted, grader.context)
        if np.isfinite(score):
            return _signed(grader, score)
    except (ValueError, ZeroDivisionError):
        pass
    if grader.metric.kind == "label":
        return float(np.mean(expected.astype(str) == predicted.astype(str)))
    expected_numbers = pd.to_numeric(pd.Series(expected), errors="coerce").to_numpy(dtype=float)
    return -float(np.nanmean(np.abs(expected_numbers - predicted.astype(float))))


def cluster_categories(scores: pd.DataFrame, threshold: float = 0.5) -> list[list[str]]:
    """Groups of categories whose candidate scores correlate above `threshold` (average
    linkage on 1 − Pearson ρ); a category every candidate scores alike forms its own group."""
    names = list(scores.columns)
    if len(names) == 1:
        return [names]
    corr = scores.corr(method="pearson").fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(corr, 1.0)
    distance = np.clip(1.0 - corr, 0.0, 2.0)
    labels = fcluster(
        linkage(squareform(distance, checks=False), "average"),
        t=1.0 - threshold,
        criterion="distance",
    )
    groups: dict[int, list[str]] = {}
    for name, label in zip(names, labels, strict=True):
        groups.setdefault(int(label), []).append(name)
    return sorted(groups.values(), key=lambda group: names.index(group[0]))


def combine(
    grader: Grader, predictions: Sequence[pd.DataFrame], weights: Sequence[float] | np.ndarray
) -> pd.DataFrame:
    """The weighted mixture of submissions (id column first, every test row): a weighted
    average for values and probabilities, a weighted vote for labels (ties: the earlier
    candidate's label)."""
    return _mix(grader, predictions, weights).rename_axis(grader.spec.id_column).reset_index()


def _mix(
    grader: Grader, predictions: Sequence[pd.DataFrame], weights: Sequence[float] | np.ndarray
) -> pd.DataFrame:
    kind = grader.metric.kind
    if kind == "raw":
        raise EnsembleError(f"metric {grader.metric.name!r} grades files as written; no mixture")
    w = np.asarray(weights, dtype=float)
    first = predictions[0]
    if kind != "label":
        stacked = np.stack([p.to_numpy(dtype=float) for p in predictions])
        mixed = np.tensordot(w / w.sum(), stacked, axes=1)
        return pd.DataFrame(mixed, index=first.index, columns=first.columns)
    mixed = first.copy()
    for column in first.columns:
        votes = np.stack([p[column].to_numpy(dtype=str) for p in predictions], axis=1)
        mixed[column] = [_vote(row, w) for row in votes]
    return mixed


def _vote(row: np.ndarray, weights: np.ndarray) -> str:
    tally: dict[str, float] = {}
    for label, weight in zip(row, weights, strict=True):
        tally[label] = tally.get(label, 0.0) + weight
    order = list(row)
    return max(tally, key=lambda label: (tally[label], -order.index(label)))


def search_score(grader: Grader, mixture: pd.DataFrame) -> float | None:
    """The mixture's search score through the grader's full check (what the node records)."""
    grade = grader.grade(mixture, (SEARCH,))
    return grade.scores.get(SEARCH) if grade.valid else None


def optimise_weights(
    grader: Grader, predictions: Sequence[pd.DataFrame], *, grid: int = 10, seed: int = 0
) -> tuple[np.ndarray, float]:
    """Weights on the simplex that maximise the direction-normalised search score: every point
    of a grid of step 1/`grid` (random Dirichlet points past four experts), then Nelder–Mead on
    softmax logits from the best one. Ties go to the most even weights.

    Scored on the search rows alone with the task's metric, as the grader does for a submission
    already checked (each candidate's was, when it ran)."""
    count = len(predictions)
    truth = grader.truth(SEARCH)
    rows = [p.loc[truth.index] for p in predictions]
    expected = truth.to_numpy()
    if expected.shape[1] == 1:
        expected = expected[:, 0]

    def value(w: np.ndarray) -> float:
        predicted = _mix(grader, rows, w).to_numpy()
        if predicted.shape[1] == 1:
            predicted = predicted[:, 0]
        try:
            score = grader.metric(expected, predicted, grader.context)
        except ValueError:
            return -np.inf
        return _signed(grader, score) if np.isfinite(score) else -np.inf

    if count <= 4:
        points = [
            np.array(p, dtype=float) / grid
            for p in itertools.product(range(grid + 1), repeat=count)
            if sum(p) == grid
        ]
    else:
        rng = np.random.default_rng(seed)
        points = [np.full(count, 1.0 / count), *rng.dirichlet(np.ones(count), size=200)]
    scored = [(value(w), -float(np.max(w)), -i) for i, w in enumerate(points)]
    best_value, _, index = max(scored)
    best = points[-index]

    def loss(logits: np.ndarray) -> float:
        w = np.exp(logits - logits.max())
        return -value(w / w.sum())

    start = np.log(np.clip(best, 1e-3, None))
    refined = minimize(loss, start, method="Nelder-Mead", options={"maxiter": 60 * count})
    if -refined.fun > best_value + 1e-12:
        w = np.exp(refined.x - refined.x.max())
        return w / w.sum(), float(-refined.fun)
    return best, best_value


def soup_of_category_experts(
    grader: Grader,
    predictions: Mapping[str, pd.DataFrame],
    *,
    threshold: float = 0.5,
    grid: int = 10,
    seed: int = 0,
) -> Ensemble:
    """SoCE on the search split: categories, their correlation groups, an expert per group
    (best mean score in the group; ties: the earlier candidate), weights of the experts."""
    if len(predictions) < 2:
        raise EnsembleError(f"an ensemble needs two valid candidates, got {len(predictions)}")
    scores = category_scores(grader, predictions)
    clusters = cluster_categories(scores, threshold)
    order = list(predictions)
    experts: list[str] = []
    expert_of: dict[str, str] = {}
    for group in clusters:
        means = scores[group].mean(axis=1)
        expert = max(order, key=lambda key: (means[key], -order.index(key)))
        expert_of.update(dict.fromkeys(group, expert))
        if expert not in experts:
            experts.append(expert)
    frames = [predictions[key] for key in experts]
    weights = np.ones(1)
    if len(experts) > 1:
        weights, _ = optimise_weights(grader, frames, grid=grid, seed=seed)
    return Ensemble(
        experts=tuple(experts),
        weights=tuple(float(w) for w in weights),
        clusters=tuple(tuple(group) for group in clusters),
        expert_of=expert_of,
        search_score=search_score(grader, combine(grader, frames, weights)),
    )
