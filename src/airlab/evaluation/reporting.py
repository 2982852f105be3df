"""Rank runs and write evaluation outputs: the library side of `airlab rank` and `airlab report`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from airlab.evaluation.diversity import agent_diversity, diversity_vs_performance, run_diversity
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import InvalidRule, Profile, profile_from_table
from airlab.evaluation.ranking import METHODS, RankingCI, bootstrap_ranking, method_names
from airlab.evaluation.ranking.kemeny import DEFAULT_MAX_AGENTS
from airlab.evaluation.runs import Split, find_runs, runs_table, task_metadata
from airlab.evaluation.tables import agent_summary, score_table

# `all` leaves out the Fenchel–Young variant of SCO: it is stochastic and fits 10,000 noisy
# steps per bootstrap replicate; ask for it by name.
NOT_IN_ALL = ("sco_fy",)


def resolve_methods(spec: str, n_agents: int) -> tuple[list[str], list[str]]:
    """Methods named by `spec` ('all', one name, or a comma-separated list) → (run, skipped)."""
    if spec.strip().lower() == "all":
        chosen = [m for m in method_names() if m not in NOT_IN_ALL]
        skipped = []
        if n_agents > DEFAULT_MAX_AGENTS:
            chosen.remove("kemeny")
            skipped.append(f"kemeny (exact only up to {DEFAULT_MAX_AGENTS} agents)")
        return chosen, skipped
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise EvaluationError("no ranking method given")
    for name in names:
        METHODS.get(name)  # raises with a suggestion for an unknown name
    return names, []


@dataclass(frozen=True)
class RankReport:
    """Everything `airlab rank` shows and writes."""

    profile: Profile
    results: dict[str, RankingCI]
    skipped: list[str]
    runs: pd.DataFrame
    settings: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        """All methods' rows (method, rank, agent, rating, CI bounds, tasks)."""
        frames = [ci.to_frame() for ci in self.results.values()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def to_json(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and math.isnan(v):
                return None
            return v

        methods = {
            name: [
                {k: clean(v) for k, v in row.items()} for row in ci.to_frame().to_dict("records")
            ]
            for name, ci in self.results.items()
        }
        return {
            **self.settings,
            "agents": list(self.profile.agents),
            "tasks": list(self.profile.voters),
            "n_runs": len(self.runs),
            "invalid_runs": int((~self.runs["valid"]).sum()) if len(self.runs) else 0,
            "skipped": self.skipped,
            "methods": methods,
        }

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ranking.csv and ranking.json into `out_dir` (created if needed)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        csv_path, json_path = out / "ranking.csv", out / "ranking.json"
        self.frame().to_csv(csv_path, index=False)
        json_path.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        return [csv_path, json_path]


def rank_table(
    table: pd.DataFrame,
    *,
    method: str = "all",
    invalid: InvalidRule = "worst",
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    split: str = "test",
) -> RankReport:
    """Rank the agents of a runs table (from `runs_table`) with bootstrap CIs over tasks."""
    profile = profile_from_table(table, invalid=invalid)
    methods, skipped = resolve_methods(method, profile.n_agents)
    results = {
        name: bootstrap_ranking(profile, name, n_boot=bootstrap, seed=seed, level=level)
        for name in methods
    }
    settings = {
        "split": split,
        "invalid": invalid,
        "bootstrap": bootstrap,
        "seed": seed,
        "level": level,
    }
    return RankReport(profile, results, skipped, table, settings)


def rank_runs(
    paths: Iterable[str | Path],
    *,
    method: str = "all",
    split: Split = "test",
    invalid: InvalidRule = "worst",
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> RankReport:
    """Load runs under `paths`, build the task-voter profile and rank with CIs over tasks."""
    table = runs_table(find_runs(paths), split)
    return rank_table(
        table,
        method=method,
        invalid=invalid,
        bootstrap=bootstrap,
        seed=seed,
        level=level,
        split=split,
    )


def write_evaluation_report(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    split: Split = "test",
    methods: str = "all",
    bootstrap: int = 200,
    seed: int = 0,
) -> list[Path]:
    """Tables and plots for `airlab report`: scores, rankings, diversity. Returns paths written."""
    from airlab.evaluation.plots import plot_diversity, plot_rank_bars

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = find_runs(paths)
    table = runs_table(runs, split)
    scored = score_table(table, task_metadata(runs))
    written: list[Path] = []
    scored.to_csv(out / "runs.csv", index=False)
    agent_summary(scored).to_csv(out / "agents.csv", index=False)
    written += [out / "runs.csv", out / "agents.csv"]
    report = rank_table(table, method=methods, bootstrap=bootstrap, seed=seed, split=split)
    written += report.write(out)
    written += plot_rank_bars(report.frame(), out / "ranking.png")
    families = [r.draft_families for _, r in runs]
    if any(families):
        div = run_diversity([r for _, r in runs])
        div.to_csv(out / "diversity_runs.csv", index=False)
        agent_diversity(div, families).to_csv(out / "diversity_agents.csv", index=False)
        diversity_vs_performance(div, seed=seed).to_csv(
            out / "diversity_correlation.csv", index=False
        )
        written += [
            out / "diversity_runs.csv",
            out / "diversity_agents.csv",
            out / "diversity_correlation.csv",
        ]
        written += plot_diversity(div, out / "diversity.png")
    return written
