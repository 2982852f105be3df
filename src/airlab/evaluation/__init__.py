"""Evaluation of agents across tasks: normalised scores, medals, rankings, ideation diversity.

- `scores`: direction-aware scores, AIRS-Bench normalised score, percentile rank, MLE-bench
  medals, valid-submission rate, bootstrap CIs over seeds.
- `runs`: read finished runs (`result.json`) into records and a long table.
- `tables`: per-run normalised scores, percentiles and medals; per-agent summaries.
- `profile`: tasks as voters ranking agents; pairwise counts N and margins M.
- `ranking`: Elo, SCO, maximal lotteries, Kemeny, Schulze, ranked pairs, Copeland, Borda, Nash,
  with bootstrap CIs over tasks.
- `preflib`: read PrefLib `.soc/.soi/.toc/.toi` profiles.
- `diversity`: ideation diversity of initial drafts and its relation to performance.
- `reporting`: what `airlab rank` and `airlab report` compute and write.
- `plots`: matplotlib figures (imported lazily).
"""

from __future__ import annotations

from airlab.evaluation.diversity import run_diversity, shannon_entropy
from airlab.evaluation.errors import (
    EvaluationError,
    PreflibError,
    RunResultError,
    TooManyAgentsError,
)
from airlab.evaluation.preflib import read_preflib
from airlab.evaluation.profile import Profile, profile_from_table
from airlab.evaluation.ranking import (
    METHODS,
    Ranking,
    RankingCI,
    bootstrap_ranking,
    method_names,
    rank,
    rank_all,
)
from airlab.evaluation.reporting import rank_runs, write_evaluation_report
from airlab.evaluation.runs import RunResult, find_runs, load_result, runs_table, task_metadata

__all__ = [
    "METHODS",
    "EvaluationError",
    "PreflibError",
    "Profile",
    "Ranking",
    "RankingCI",
    "RunResult",
    "RunResultError",
    "TooManyAgentsError",
    "bootstrap_ranking",
    "find_runs",
    "load_result",
    "method_names",
    "profile_from_table",
    "rank",
    "rank_all",
    "rank_runs",
    "read_preflib",
    "run_diversity",
    "runs_table",
    "shannon_entropy",
    "task_metadata",
    "write_evaluation_report",
]
