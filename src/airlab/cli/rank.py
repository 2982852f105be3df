"""`airlab rank RUNS...`: rank agents across tasks, each task a voter, with bootstrap CIs.

A plain typer-annotated function; the CLI app registers it with `app.command("rank")(rank)`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from airlab.errors import AirlabError

METHOD_HELP = (
    "Ranking method: all, one of borda, copeland, elo, iterated_lottery, kemeny, lottery, nash, "
    "ranked_pairs, schulze, sco, sco_fy, or a comma-separated list. 'all' runs every method "
    "except sco_fy (stochastic and slow to bootstrap) and skips kemeny above 18 agents."
)
SPLIT_HELP = "Hidden split whose score ranks the runs: search, select or test."
INVALID_HELP = (
    "How a run without a valid submission counts on its task: 'worst' = the worst valid score "
    "seen on that task (ties with it), 'last' = below every valid run, 'drop' = ignored (the "
    "agent may then be unranked on that task)."
)


def _fmt(value: float) -> str:
    """Ratings on any scale (Elo ~1000, SCO 0–100, probabilities) in a few characters."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"


def _rank_range(low: float, high: float) -> str:
    if math.isnan(low):
        return "-"
    lo, hi = math.floor(low), math.ceil(high)
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def rank(
    runs: Annotated[
        list[Path],
        typer.Argument(
            help="Run folders, or folders holding many runs "
            "(searched recursively for result.json).",
            show_default=False,
        ),
    ],
    method: Annotated[str, typer.Option("--method", "-m", help=METHOD_HELP)] = "all",
    split: Annotated[str, typer.Option("--split", help=SPLIT_HELP)] = "test",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write ranking.csv and ranking.json into (created if needed). "
            "Omit to only print the table.",
        ),
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            "-b",
            help="Bootstrap resamples of the tasks for the confidence intervals (0 = none). "
            "Every method is refitted on each resample; sco runs 10,000 steps each time, so "
            "lower this for many agents.",
            min=0,
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resampling.")] = 0,
    invalid: Annotated[str, typer.Option("--invalid", help=INVALID_HELP)] = "worst",
    level: Annotated[
        float,
        typer.Option("--level", help="Confidence level of the intervals.", min=0.5, max=0.999),
    ] = 0.95,
) -> None:
    """Rank agents across tasks from finished runs: each task is a voter ranking the agents by
    their mean (over seeds) direction-aware score; prints ranks, ratings and bootstrap CIs."""
    from airlab.evaluation.reporting import rank_table, resolve_methods
    from airlab.evaluation.runs import find_runs, runs_table

    err = Console(stderr=True)
    try:
        if split not in ("search", "select", "test"):
            raise AirlabError(f"--split must be search, select or test, got {split!r}")
        if invalid not in ("worst", "last", "drop"):
            raise AirlabError(f"--invalid must be worst, last or drop, got {invalid!r}")
        runs_found = runs_table(find_runs(runs), split)  # type: ignore[arg-type]
        if runs_found["agent"].nunique() == 1:
            resolve_methods(method, 1)  # a bad --method is still an error
            _one_agent(runs_found, split, out)
            return
        report = rank_table(
            runs_found,
            method=method,
            invalid=invalid,  # type: ignore[arg-type]
            bootstrap=bootstrap,
            seed=seed,
            level=level,
            split=split,
        )
        written = report.write(out) if out is not None else []
    except AirlabError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None

    console = Console(file=sys.stdout)
    pct = f"{level:.0%}"
    n_invalid = int((~report.runs["valid"]).sum())
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"Agents ranked over {report.profile.n_voters} tasks ({split} split)",
        caption=(
            f"{len(report.runs)} runs, {n_invalid} without a valid submission (counted as "
            f"'{invalid}'); {pct} CIs from {bootstrap} bootstrap resamples of the tasks"
        ),
    )
    for name, justify in (
        ("method", "left"),
        ("rank", "right"),
        ("agent", "left"),
        ("rating", "right"),
        (f"{pct} CI", "right"),
        ("ranks", "right"),
        ("tasks", "right"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for i, (name, ci) in enumerate(report.results.items()):
        if i:
            table.add_section()
        for j, row in enumerate(ci.to_frame().to_dict("records")):
            table.add_row(
                name if j == 0 else "",
                str(row["rank"]),
                str(row["agent"]),
                _fmt(row["rating"]),
                "-"
                if math.isnan(row["rating_low"])
                else f"{_fmt(row['rating_low'])}–{_fmt(row['rating_high'])}",
                _rank_range(row["rank_low"], row["rank_high"]),
                f"{row['tasks']:g}",
            )
    # never truncate names or intervals: widen past a narrow terminal rather than cut cells
    needed = Measurement.get(console, console.options.update_width(1000), table).maximum
    if needed > console.width:
        console = Console(file=sys.stdout, width=needed)
    console.print(table)
    for note in report.skipped:
        console.print(f"skipped: {note}")
    for path in written:
        console.print(f"wrote {path}")


def _one_agent(runs: Any, split: str, out: Path | None) -> None:
    """A ranking needs two agents: say so, and show the one agent's scores task by task."""
    agent = str(runs["agent"].iloc[0])
    console = Console(file=sys.stdout)
    console.print(
        f"one agent ({agent}) cannot be ranked: rankings compare two or more agents"
        + (f"; nothing written to {out}" if out is not None else ""),
        markup=False,
        highlight=False,
    )
    table = Table(box=box.SIMPLE_HEAD, title=f"{agent}: {split} scores by task")
    for name in ("task", "metric", "runs", "valid", "mean", "min", "max"):
        table.add_column(name, justify="left" if name in ("task", "metric") else "right")
    for task, rows in runs.groupby("task", sort=True):
        valid = rows[rows["valid"]]
        scores = valid["score"]
        arrow = "↑" if rows["direction"].iloc[0] == "maximize" else "↓"
        table.add_row(
            str(task),
            f"{rows['metric'].iloc[0]} {arrow}",
            str(len(rows)),
            str(len(valid)),
            *(
                (_fmt(float(v)) for v in (scores.mean(), scores.min(), scores.max()))
                if len(valid)
                else ("-", "-", "-")
            ),
        )
    console.print(table)
