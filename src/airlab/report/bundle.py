"""`airlab report`: for one or many runs, a folder with their views, plots and a summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airlab.errors import ConfigError
from airlab.report.data import RunData, find_run_dirs, load_run
from airlab.report.page import render_html
from airlab.report.plots import FORMATS, write_plots
from airlab.report.summary import markdown_summary

SUMMARY_FILE = "summary.md"
VIEWS_DIR = "views"
PLOTS_DIR = "plots"
EVALUATION_DIR = "evaluation"


@dataclass(frozen=True)
class ReportFiles:
    summary: Path
    views: list[Path]
    plots: list[Path]
    evaluation: list[Path]
    """Cross-agent tables and plots (rankings, diversity), when the runs compare agents."""


def write_report(
    run_dirs: Sequence[Path], out: Path, *, formats: Sequence[str] = ("png",)
) -> ReportFiles:
    """Load every run (folders below a parent folder too), then write `views/<run>.html`,
    `plots/<plot>.<fmt>` and `summary.md`."""
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ConfigError(f"option --format: unknown {unknown[0]!r} (known: {', '.join(FORMATS)})")
    runs = [load_run(path) for path in find_run_dirs(run_dirs)]
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ConfigError("the same run folder name appears twice; pass each run once")
    out.mkdir(parents=True, exist_ok=True)
    views = []
    for run in runs:
        view = out / VIEWS_DIR / f"{run.name}.html"
        view.parent.mkdir(exist_ok=True)
        view.write_text(render_html(run), encoding="utf-8")
        views.append(view)
    plots = write_plots(runs, out / PLOTS_DIR, formats=formats)
    evaluation = write_agent_comparison(runs, out / EVALUATION_DIR)
    summary = out / SUMMARY_FILE
    summary.write_text(markdown_summary(runs, [*plots, *evaluation], base=out), encoding="utf-8")
    return ReportFiles(summary, views, plots, evaluation)


def write_agent_comparison(runs: Sequence[RunData], out: Path) -> list[Path]:
    """Rankings and ideation diversity across the finished runs, when they hold two agents or
    more: each task votes on the agents (see `airlab.evaluation`). Fewer bootstrap resamples
    than `airlab rank`, which is the place for a ranking's confidence intervals."""
    finished = [run for run in runs if run.result is not None]
    if len({run.agent for run in finished}) < 2:
        return []
    from airlab.evaluation.reporting import write_evaluation_report

    return write_evaluation_report([run.root for run in finished], out, bootstrap=100)
