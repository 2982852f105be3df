"""Rubric discovery: which candidate items, as a judge scores them on papers, predict an outcome
the user has for those papers (citations, acceptance, a review score)?

Every paper of the corpus is judged on every candidate item (verdicts cached on disk by the
judge's name and the hashes of the paper's text and of the item's text, so a rerun or a grown
corpus asks only for what is new). The outcome (log1p-transformed when it is a count) is
regressed on the verdicts with an L1- (Lasso) or L2- (ridge) regularised linear model whose
penalty is chosen by inner cross-validation (K-fold for the lasso, efficient leave-one-out for
ridge); its error is measured by an outer K-fold cross-validation beside three baselines fitted
the same way: the outcome's mean (constant), the paper's length alone (log of its word count)
and the uniform-weight rubric (the mean verdict over all items). The items with positive weight
in the fit on the whole corpus make the discovered rubric, weighted by their coefficients
(rescaled to a mean of 1).

A verdict the judge could not give is left out of the cache and imputed with the item's mean
over the papers that have one; their number is reported.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from airlab.errors import ConfigError, TaskError
from airlab.plans.judge import Judge
from airlab.plans.rubric import Leaf, Rubric, RubricItem

MIN_PAPERS = 10
TEXT_COLUMNS = ("text",)
PATH_COLUMNS = ("path", "paper", "file")


class Penalty(StrEnum):
    L1 = "l1"
    L2 = "l2"


class Transform(StrEnum):
    AUTO = "auto"
    """log1p when every outcome is a non-negative integer (a count), else none."""
    LOG1P = "log1p"
    NONE = "none"


@dataclass(frozen=True)
class Paper:
    key: str
    text: str
    outcome: float


def read_corpus(path: Path, outcome: str) -> list[Paper]:
    """Papers from a CSV or JSONL table: a `text` column, or a `path` (or `paper`, `file`)
    column of text files relative to the table; and the `outcome` column."""
    import pandas as pd

    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    try:
        if path.suffix.lower() in (".jsonl", ".json"):
            frame = pd.read_json(path, lines=path.suffix.lower() == ".jsonl")
        else:
            frame = pd.read_csv(path)
    except ValueError as exc:
        raise TaskError(f"{path}: not a readable table ({exc})") from None
    columns = {str(c).lower(): c for c in frame.columns}
    if outcome not in frame.columns:
        raise TaskError(
            f"{path}: no outcome column {outcome!r} (columns: {', '.join(map(str, frame.columns))})"
        )
    text_col = next((columns[c] for c in TEXT_COLUMNS if c in columns), None)
    path_col = next((columns[c] for c in PATH_COLUMNS if c in columns), None)
    if text_col is None and path_col is None:
        raise TaskError(f"{path}: needs a 'text' column or a 'path' column of paper files")
    papers = []
    for number, row in enumerate(frame.to_dict(orient="records"), start=1):
        where = f"{path.name} row {number}"
        value = row[outcome]
        try:
            y = float(value)
        except (TypeError, ValueError):
            raise TaskError(f"{where}: outcome {outcome!r} is not a number: {value!r}") from None
        if not math.isfinite(y):
            raise TaskError(f"{where}: outcome {outcome!r} is missing or not finite")
        if text_col is not None and isinstance(row[text_col], str) and row[text_col].strip():
            text, key = row[text_col], f"row {number}"
        elif path_col is not None:
            from airlab.plans.extract import read_paper

            file = path.parent / str(row[path_col])
            text, key = read_paper(file), str(row[path_col])
        else:
            raise TaskError(f"{where}: empty text")
        papers.append(Paper(key=key, text=text, outcome=y))
    if len(papers) < MIN_PAPERS:
        raise TaskError(f"{path}: {len(papers)} papers; discovery needs at least {MIN_PAPERS}")
    return papers


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class VerdictCache:
    """Verdict values keyed by (judge, paper text, item text), kept as JSON. `judge` names who
    decided (e.g. `model:openai/gpt-4o-mini`), so that another judge's verdicts are not reused."""

    def __init__(self, path: Path | None, judge: str = "") -> None:
        self.path = path
        self.scope = _digest(judge)[:8]
        self.values: dict[str, float] = {}
        if path is not None and path.is_file():
            try:
                self.values = {str(k): float(v) for k, v in json.loads(path.read_text()).items()}
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
                raise TaskError(f"{path}: not a verdict cache (delete it to start over)") from None

    def key(self, text: str, item: str) -> str:
        return f"{self.scope}:{_digest(text)}:{_digest(item)}"

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.values, indent=0, sort_keys=True))


def verdict_matrix(
    papers: Sequence[Paper], leaves: Sequence[Leaf], judge: Judge, cache: VerdictCache
) -> tuple[list[list[float | None]], int]:
    """Each paper's verdict on each leaf (None where the judge gave none), and how many judge
    calls were made (papers with nothing cached missing)."""
    rows: list[list[float | None]] = []
    calls = 0
    for paper in papers:
        missing = [leaf for leaf in leaves if cache.key(paper.text, leaf.text) not in cache.values]
        if missing:
            calls += 1
            for verdict in judge.judge(paper.text, missing):
                leaf = next((m for m in missing if m.id == verdict.item_id), None)
                if leaf is not None and verdict.value is not None:
                    cache.values[cache.key(paper.text, leaf.text)] = verdict.value
            cache.save()
        rows.append([cache.values.get(cache.key(paper.text, leaf.text)) for leaf in leaves])
    return rows, calls


class ItemWeight(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    coefficient: float
    satisfied_share: float
    """Share of papers the judge found satisfying the item."""


class DiscoveryReport(BaseModel):
    """What `airlab rubric discover` found; written as `discovery.json`."""

    model_config = ConfigDict(frozen=True)

    papers: int
    items: int
    outcome: str
    transform: Transform
    penalty: Penalty
    alpha: float
    """The regularisation strength chosen on the whole corpus."""
    folds: int
    cv_rmse: dict[str, float]
    """Outer cross-validated RMSE (on the transformed outcome) of `model` and the baselines
    `constant`, `length_only` and `uniform_weight`."""
    failed_verdicts: int
    judge_calls: int
    weights: list[ItemWeight] = Field(default_factory=list)
    """Every candidate item's coefficient in the fit on the whole corpus, largest first."""

    @property
    def selected(self) -> list[ItemWeight]:
        return [w for w in self.weights if w.coefficient > 0]


def _transform(y: list[float], transform: Transform) -> tuple[list[float], Transform]:
    if transform is Transform.AUTO:
        counts = all(v >= 0 and float(v).is_integer() for v in y)
        transform = Transform.LOG1P if counts else Transform.NONE
    if transform is Transform.LOG1P:
        if any(v <= -1 for v in y):
            raise ConfigError("--transform log1p needs outcomes above -1")
        return [math.log1p(v) for v in y], transform
    return list(y), transform


def discover(
    papers: Sequence[Paper],
    candidates: Rubric,
    judge: Judge,
    *,
    outcome: str = "outcome",
    penalty: Penalty = Penalty.L1,
    transform: Transform = Transform.AUTO,
    folds: int = 5,
    seed: int = 0,
    cache: VerdictCache | None = None,
) -> tuple[DiscoveryReport, Rubric | None]:
    """Fit which candidate items predict the outcome; the report, and the discovered rubric
    (None when no item has a positive weight)."""
    import numpy as np
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LassoCV, LinearRegression, RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict

    leaves = candidates.leaves()
    if len(papers) < MIN_PAPERS:
        raise ConfigError(f"discovery needs at least {MIN_PAPERS} papers, got {len(papers)}")
    folds = max(2, min(folds, len(papers) // 2))
    rows, calls = verdict_matrix(papers, leaves, judge, cache or VerdictCache(None))
    raw = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    failed = int(np.isnan(raw).sum())
    means = np.nanmean(np.where(np.isnan(raw).all(axis=0), 0.0, raw), axis=0)
    x = np.where(np.isnan(raw), means, raw)
    y_list, used = _transform([p.outcome for p in papers], transform)
    y = np.array(y_list)

    outer = KFold(folds, shuffle=True, random_state=seed)
    inner = KFold(
        max(2, min(5, (len(papers) * (folds - 1) // folds) // 2)),
        shuffle=True,
        random_state=seed + 1,
    )

    # the lasso's path, from the penalty that zeroes every item down (given, as a grid, so
    # that every scikit-learn since 1.4 fits the same path)
    centred = (x - x.mean(axis=0)).T @ (y - y.mean())
    top = max(float(np.abs(centred).max()) / len(papers), 1e-9)
    lasso_alphas = np.logspace(np.log10(top) - 3, np.log10(top), 40)

    def model() -> Any:
        if penalty is Penalty.L1:
            return LassoCV(cv=inner, alphas=lasso_alphas, random_state=seed, max_iter=20_000)
        return RidgeCV(alphas=np.logspace(-3, 3, 25))  # efficient leave-one-out

    def cv_rmse(estimator: Any, features: Any) -> float:
        predicted = cross_val_predict(estimator, features, y, cv=outer)
        return float(np.sqrt(np.mean((predicted - y) ** 2)))

    lengths = np.array([[math.log(1 + len(p.text.split()))] for p in papers])
    uniform = x.mean(axis=1, keepdims=True)
    errors = {
        "model": cv_rmse(model(), x),
        "constant": cv_rmse(DummyRegressor(), x),
        "length_only": cv_rmse(LinearRegression(), lengths),
        "uniform_weight": cv_rmse(LinearRegression(), uniform),
    }
    fitted = model().fit(x, y)
    coefficients = [float(c) for c in fitted.coef_]
    weights = sorted(
        (
            ItemWeight(
                id=leaf.id,
                text=leaf.text,
                coefficient=round(coef, 6),
                satisfied_share=round(float(x[:, column].mean()), 4),
            )
            for column, (leaf, coef) in enumerate(zip(leaves, coefficients, strict=True))
        ),
        key=lambda w: -w.coefficient,
    )
    report = DiscoveryReport(
        papers=len(papers),
        items=len(leaves),
        outcome=outcome,
        transform=used,
        penalty=penalty,
        alpha=float(fitted.alpha_),
        folds=folds,
        cv_rmse={k: round(v, 6) for k, v in errors.items()},
        failed_verdicts=failed,
        judge_calls=calls,
        weights=weights,
    )
    return report, discovered_rubric(report, candidates)


def discovered_rubric(report: DiscoveryReport, candidates: Rubric) -> Rubric | None:
    """The items with positive weight, weighted by coefficient rescaled to a mean of 1, in
    order of weight; each keeps its category."""
    chosen = report.selected
    if not chosen:
        return None
    categories = {leaf.id: leaf.category for leaf in candidates.leaves()}
    mean = sum(w.coefficient for w in chosen) / len(chosen)
    return Rubric(
        items=[
            RubricItem(
                text=w.text, weight=round(w.coefficient / mean, 4), category=categories.get(w.id)
            )
            for w in chosen
        ]
    )


def read_candidates(path: Path) -> Rubric:
    """Candidate items: a rubric.yaml (its leaves) or a text file with one item per line."""
    from airlab.plans.rubric import load_rubric

    if path.suffix.lower() in (".yaml", ".yml"):
        rubric = load_rubric(path)
        return Rubric(
            items=[RubricItem(text=leaf.text, category=leaf.category) for leaf in rubric.leaves()]
        )
    if not path.is_file():
        raise TaskError(f"{path}: file not found")
    lines = [line.strip().lstrip("-* ").strip() for line in path.read_text().splitlines()]
    items = [line for line in lines if line and not line.startswith("#")]
    if not items:
        raise TaskError(f"{path}: no candidate items (one per line)")
    return Rubric(items=[RubricItem(text=text) for text in items])
