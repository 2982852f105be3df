"""`airlab report`: for one or many runs, a folder with their views, plots and a summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airlab.errors import ConfigError
from airlab.report.data import find_run_dirs, load_run
from airlab.report.page import render_html
from airlab.report.plots import FORMATS, write_plots
from airlab.report.summary import markdown_summary

SUMMARY_FILE = "summary.md"
VIEWS_DIR = "views"
PLOTS_DIR = "plots"


@dataclass(frozen=True)
class ReportFiles:
    summary: Path
    views: list[Path]
    plots: list[Path]


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
    summary = out / SUMMARY_FILE
    summary.write_text(markdown_summary(runs, plots, base=out), encoding="utf-8")
    return ReportFiles(summary, views, plots)
