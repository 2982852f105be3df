"""The ensemble step on a run folder: SoCE over its valid nodes, recorded as a new node.

The node's submission is the mixture, its parents the experts, its code a short script that
rebuilds the submission from the parents' (so it is reproducible and viewable like any node).
Weights come from `search` alone; `select` is then read once to compare the ensemble with the
uniform soup of every valid node and with the best single node (by search score), as the final
choice would. `test` is never read here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from pydantic import BaseModel

from airlab.ensemble.soce import (
    SEARCH,
    Ensemble,
    EnsembleError,
    combine,
    soup_of_category_experts,
)
from airlab.grading.grader import Grader
from airlab.grading.submission import InvalidSubmission, check_submission
from airlab.journal import Journal, Node
from airlab.result import RunStatus
from airlab.runner.layout import OpenRun, RunFolder
from airlab.runner.lock import RunLock
from airlab.sandbox.base import SUBMISSION_FILE
from airlab.tasks.bundled import resolve_task

OPERATOR = "ensemble"
REPORT_FILE = "ensemble.json"
SELECT = "select"


class EnsembleReport(BaseModel):
    """What `airlab ensemble` found, written to `RUN_DIR/ensemble.json`."""

    node: int
    experts: dict[int, float]
    """Expert node → weight."""
    clusters: list[list[str]]
    expert_of: dict[str, int]
    candidates: int
    search: float | None
    select: float | None
    uniform_select: float | None
    best_single: int
    best_single_select: float | None
    beats_baselines: bool
    """Better on select than both the uniform soup and the best single node."""


def valid_predictions(
    grader: Grader, folder: RunFolder, nodes: list[Node]
) -> dict[str, pd.DataFrame]:
    """Node id (as text) → its checked predictions, for every good node whose submission.csv
    is still in the run folder (ensembles built before are left out)."""
    out: dict[str, pd.DataFrame] = {}
    for node in nodes:
        path = folder.node_dir(node.id) / SUBMISSION_FILE
        if not node.is_good or node.operator == OPERATOR or not path.is_file():
            continue
        try:
            checked = check_submission(
                path.read_bytes(), grader.spec, grader.metric, grader.task.test_ids
            )
        except InvalidSubmission:
            continue
        out[str(node.id)] = checked.predictions
    return out


class Baselines(NamedTuple):
    """What an ensemble must beat on select, both chosen without reading select."""

    best_single: int
    """The valid node with the best search score (ties: the earlier node)."""
    best_single_select: float | None
    uniform_select: float | None
    """The equal-weight mixture of every valid node."""


def baselines(grader: Grader, nodes: list[Node], predictions: dict[str, pd.DataFrame]) -> Baselines:
    """The best single node by search score and the uniform soup, each graded on select from
    the same checked predictions the ensemble mixes (None where the grade is invalid)."""
    sign = 1.0 if grader.metric.maximize else -1.0
    searched = {
        node.id: sign * node.search_score
        for node in nodes
        if str(node.id) in predictions and node.search_score is not None
    }
    if not searched:
        raise EnsembleError("no valid node has a search score")
    single = max(searched, key=lambda i: (searched[i], -i))

    def on_select(frames: list[pd.DataFrame]) -> float | None:
        grade = grader.grade(combine(grader, frames, [1.0] * len(frames)), (SELECT,))
        return grade.scores.get(SELECT) if grade.valid else None

    return Baselines(
        best_single=single,
        best_single_select=on_select([predictions[str(single)]]),
        uniform_select=on_select(list(predictions.values())),
    )


def rebuild_script(grader: Grader, experts: dict[int, float]) -> str:
    """A standalone script that rebuilds the ensemble's submission from its parents' files."""
    id_column = grader.spec.id_column
    targets = list(grader.spec.target_columns)
    vote = grader.metric.kind == "label"
    return f'''"""SoCE ensemble of nodes {", ".join(map(str, experts))}: weights found on the search
split by `airlab ensemble`; run from the run folder to rebuild submission.csv."""
import pandas as pd

WEIGHTS = {experts!r}  # node -> weight
TARGETS = {targets!r}
frames = [
    pd.read_csv(f"nodes/{{node:04d}}/submission.csv", dtype={{{id_column!r}: str}})
    .set_index({id_column!r})[TARGETS]
    for node in WEIGHTS
]
weights = list(WEIGHTS.values())
if {vote!r}:  # labels: weighted vote, ties to the earlier node
    def vote(labels):
        tally = {{}}
        for label, weight in zip(labels, weights):
            tally[label] = tally.get(label, 0.0) + weight
        order = list(labels)
        return max(tally, key=lambda label: (tally[label], -order.index(label)))
    mixed = frames[0].copy()
    for column in TARGETS:
        rows = zip(*(frame[column].astype(str) for frame in frames))
        mixed[column] = [vote(row) for row in rows]
else:  # values and probabilities: weighted average
    mixed = sum(w * frame for w, frame in zip(weights, frames)) / sum(weights)
mixed.reset_index().to_csv("submission.csv", index=False)
'''


def build_ensemble(run_dir: Path, *, threshold: float = 0.5, grid: int = 10) -> EnsembleReport:
    """SoCE over the run's valid nodes, recorded as a new `ensemble` node (see module doc);
    refused while a driver holds the run, and for a run not finished (a resumed search would
    hand the node to its policy, whose sandbox has no parents' files to rebuild it from)."""
    folder = RunFolder.existing(run_dir)
    with RunLock(folder.root), Journal.open(folder.journal) as journal:
        status = journal.meta().status
        if status != RunStatus.COMPLETE:
            raise EnsembleError(
                f"{folder.root}: the run is {status}, not complete; finish it first "
                "(airlab resume), or run it with --ensemble"
            )
        task = resolve_task(OpenRun(folder, journal).task_ref)
        return add_ensemble_node(journal, folder, Grader(task), threshold=threshold, grid=grid)


def add_ensemble_node(
    journal: Journal,
    folder: RunFolder,
    grader: Grader,
    *,
    threshold: float = 0.5,
    grid: int = 10,
) -> EnsembleReport:
    """The step itself, for a driver that already holds the run (the end of a search)."""
    nodes = journal.nodes()
    predictions = valid_predictions(grader, folder, nodes)
    soup = soup_of_category_experts(grader, predictions, threshold=threshold, grid=grid)
    experts = {int(key): weight for key, weight in soup.weight_of().items()}
    frames = [predictions[key] for key in soup.experts]
    mixture = combine(grader, frames, soup.weights)
    grade = grader.grade(mixture, (SEARCH, SELECT))
    if not grade.valid:
        raise EnsembleError(f"the ensemble's submission is invalid: {grade.reason}")
    against = baselines(grader, nodes, predictions)
    node = _record(journal, folder, grader, soup, experts, mixture, grade.scores)
    report = EnsembleReport(
        node=node.id,
        experts=experts,
        clusters=[list(group) for group in soup.clusters],
        expert_of={category: int(key) for category, key in soup.expert_of.items()},
        candidates=len(predictions),
        search=grade.scores.get(SEARCH),
        select=grade.scores.get(SELECT),
        uniform_select=against.uniform_select,
        best_single=against.best_single,
        best_single_select=against.best_single_select,
        beats_baselines=False,
    )
    report.beats_baselines = _beats(report, grader.metric.maximize)
    (folder.root / REPORT_FILE).write_text(json.dumps(report.model_dump(), indent=2) + "\n")
    return report


def _beats(report: EnsembleReport, maximize: bool) -> bool:
    if report.select is None:
        return False
    sign = 1.0 if maximize else -1.0
    others = [s for s in (report.uniform_select, report.best_single_select) if s is not None]
    return all(sign * report.select > sign * other for other in others)


def _record(
    journal: Journal,
    folder: RunFolder,
    grader: Grader,
    soup: Ensemble,
    experts: dict[int, float],
    mixture: pd.DataFrame,
    scores: dict[str, float],
) -> Node:
    weights = ", ".join(f"node {node} × {weight:.3f}" for node, weight in experts.items())
    groups = "; ".join(
        f"{', '.join(group)} → node {soup.expert_of[group[0]]}" for group in soup.clusters
    )
    node = journal.add(OPERATOR, tuple(experts), note=f"SoCE ensemble: {weights}")
    directory = folder.node_dir(node.id)
    directory.mkdir(parents=True, exist_ok=True)
    mixture.to_csv(directory / SUBMISSION_FILE, index=False)
    now = time.time()
    return journal.update(
        node.id,
        status="good",
        plan=f"Soup of category experts. Category groups → expert: {groups}. Weights: {weights}.",
        code=rebuild_script(grader, experts),
        search_score=scores.get(SEARCH),
        select_score=scores.get(SELECT),
        started_at=now,
        finished_at=now,
    )
