"""`airlab ensemble RUN_DIR`: a soup of category experts (SoCE) from a run's valid nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def ensemble(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (finished or interrupted).")],
    threshold: Annotated[
        float,
        typer.Option(
            min=-1.0, max=1.0, help="Categories whose scores correlate above this share an expert."
        ),
    ] = 0.5,
    grid: Annotated[
        int, typer.Option(min=1, help="Weight grid step 1/GRID (up to four experts).")
    ] = 10,
) -> None:
    """Mix the experts' predictions with weights found on the search split, record the mixture
    as a new `ensemble` node, and compare it on select with the uniform soup of every valid node
    and with the best single node. The run's final choice is not changed."""
    from airlab.cli.display import fmt
    from airlab.ensemble.build import REPORT_FILE, build_ensemble

    report = build_ensemble(run_dir, threshold=threshold, grid=grid)
    table = Table(title=f"ensemble node {report.node} of {report.candidates} valid nodes")
    for column in ("", "search", "select"):
        table.add_column(column)
    table.add_row("SoCE", fmt(report.search), fmt(report.select))
    table.add_row("uniform soup", "", fmt(report.uniform_select))
    table.add_row(f"best single (node {report.best_single})", "", fmt(report.best_single_select))
    console = Console()
    console.print(table)
    weights = ", ".join(f"node {n}: {w:.3f}" for n, w in report.experts.items())
    console.print(f"experts and weights: {weights}")
    verdict = "beats" if report.beats_baselines else "does not beat"
    console.print(f"on select the ensemble {verdict} both baselines; see {run_dir}/{REPORT_FILE}")
