"""`result.json`: the record of a finished (or failed) run, written by the runner and read by
rankings, reports and exports through this one model.

Versioned: files written before the field existed read as `schema_version` 1 (their keys are a
subset of today's); version 3 added `relative_scores` (older files read them as all null),
`failures` (counts by failure) and the `no_valid_solution` status.
Spend is the usage ledger's: the sum of what the servers reported, call by call, failed calls
and policy calls included.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RESULT_SCHEMA_VERSION = 3
UNCLASSIFIED_FAMILY = "unknown"
"""`draft_families`' entry for a draft no rule or label places (a constant baseline, an invented
class name): it says nothing about the approach, so diversity measures leave it out."""


class RunStatus(StrEnum):
    """How a run ended (`result.json`'s `status`), and where it stands (the journal's `status`,
    `journal.meta.RunMeta`): one enum, so that the two never disagree on a name."""

    RUNNING = "running"
    """Journal only: the search is under way, or was stopped and resumes."""
    GYM = "gym"
    """Journal only: a run folder driven step by step by a gym environment."""
    COMPLETE = "complete"
    """The budget was spent and a valid final node chosen and scored on test."""
    NO_VALID_SOLUTION = "no_valid_solution"
    """The budget was spent but no node wrote a valid submission: finished, not a success (no
    scores; rankings count it as a failed run)."""
    FAILED = "failed"
    """Stopped by its backend; it resumes once the cause is fixed."""
    INCOMPLETE = "incomplete"
    """Kept so that files holding it still read; airlab does not write it."""

    @property
    def finished(self) -> bool:
        """The search is over and its result final (resuming only prints it)."""
        return self in FINISHED


FINISHED = frozenset({RunStatus.COMPLETE, RunStatus.NO_VALID_SOLUTION})
Split = Literal["search", "select", "test"]
MedalName = Literal["gold", "silver", "bronze", "none"]


class SplitScores(BaseModel):
    """Hidden-split scores of the run's final node (None when not scored)."""

    model_config = ConfigDict(extra="ignore")

    search: float | None = None
    select: float | None = None
    test: float | None = None


class RelativeScores(BaseModel):
    """The final node's test score against the task's benchmark numbers, as `airlab report`
    computes them (`evaluation.tables.relative_scores`). Null where the task lacks the data; for
    a run without a valid submission, percentile 0, medal `none` and `reaches_baseline` false."""

    model_config = ConfigDict(extra="ignore")

    airs_ns: float | None = None
    """AIRS-Bench's normalised score: 0 at the worst score (else the baseline), 1 at the
    reference (SOTA); needs an optimal score."""
    linear_ns: float | None = None
    """(score − baseline) / (reference − baseline)."""
    percentile: float | None = None
    """Share of the leaderboard the score beats (ties count half)."""
    medal: MedalName | None = None
    """MLE-bench's medal from the leaderboard's thresholds (kaggle.com/progression)."""
    above_median: bool | None = None
    reaches_baseline: bool | None = None
    """At least as good as the task's baseline (MLGym counts a run below its baseline as
    infeasible)."""


class PurposeSpend(BaseModel):
    """Spend of one kind of call (draft, improve, analysis, choose, preflight, ...)."""

    calls: int = 0
    failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cached_in: int = 0
    """Of `tokens_in`, read from the prompt cache."""
    reasoning_out: int = 0
    """Of `tokens_out`, spent thinking."""


class RunResult(BaseModel):
    """The summary of one run."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = 1
    run_id: str
    agent: str
    agent_hash: str | None = None
    """sha256 of the agent folder the run started from (`--agent`); None for a run of flags."""
    task: str
    seed: int
    policy: str = ""
    operators: str = ""
    backend: str = ""
    metric: str = ""
    direction: Literal["maximize", "minimize"]
    status: RunStatus = RunStatus.COMPLETE
    error: str | None = None
    """Why a failed run stopped (one line); it resumes once the cause is fixed."""
    stop_reason: str | None = None
    warnings: list[str] = Field(default_factory=list)
    """What the numbers below cannot vouch for (unpriced model, calls without usage)."""
    final_node: int | None = None
    scores: SplitScores = Field(default_factory=SplitScores)
    self_reported_score: float | None = None
    valid_submission: bool = False
    best_search_score: float | None = None
    first_draft_search_score: float | None = None
    baseline: float | None = None
    reference: float | None = None
    optimal: float | None = None
    worst: float | None = None
    """An estimated worst score (AIRS-Bench's `estimated_worst_score`), s_min of its NS."""
    leaderboard: list[float] | None = None
    relative_scores: RelativeScores = Field(default_factory=RelativeScores)
    nodes: int = 0
    good_nodes: int = 0
    buggy_nodes: int = 0
    lost_nodes: int = 0
    failures: dict[str, int] = Field(default_factory=dict)
    """Failure (`airlab.failures.Failure`) → nodes that ended with it, most common first."""
    edits: dict[str, int] = Field(default_factory=dict)
    """Improve and debug steps under `edit_format=diff` by outcome (applied, fell_back,
    whole_answer): the patch-apply rate is `applied` over their sum. Empty without them."""
    elapsed_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    failed_llm_calls: int = 0
    spend_by_purpose: dict[str, PurposeSpend] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)
    """Purpose → the model that answered it, when purposes have their own models."""
    spend_by_model: dict[str, dict[str, PurposeSpend]] = Field(default_factory=dict)
    """Backend/model → purpose → spend: who did what, and what it cost."""
    draft_families: list[str] = Field(default_factory=list)
    """Each initial draft's approach family, `UNCLASSIFIED_FAMILY` where none was found."""
    workers: int = 1
    llm_concurrency: int | None = None
    sandbox: str = ""
    airlab_version: str = ""

    def score(self, split: Split = "test") -> float | None:
        """The score on a hidden split, None when the run has no valid scored submission."""
        value = getattr(self.scores, split)
        if value is None or not self.valid_submission or math.isnan(value):
            return None
        return float(value)

    def most_common_failure(self) -> tuple[str, int] | None:
        """The failure most nodes ended with, and how many; None when none failed."""
        if not self.failures:
            return None
        return Counter(self.failures).most_common(1)[0]

    def no_solution_line(self) -> str:
        """Why a `no_valid_solution` run has no result, in one line: its most common failure."""
        common = self.most_common_failure()
        if common is None:
            return f"no valid solution: none of {self.nodes} node(s) wrote a valid submission"
        failure, count = common
        return (
            f"no valid solution: none of {self.nodes} node(s) wrote a valid submission; most "
            f"common failure: {failure} ({count} of {self.nodes})"
        )

    def write(self, path: Path) -> None:
        """Atomically: a reader never sees half a file."""
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(self.model_dump(mode="json"), indent=2) + "\n")
        os.replace(temporary, path)
