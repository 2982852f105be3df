"""A markdown summary of one or many runs: one row per run, then the plots beside it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from airlab.report.data import RunData
from airlab.report.viewmodel import best_search_node

_COLUMNS = (
    "run",
    "task",
    "agent",
    "metric",
    "nodes (good/buggy/lost)",
    "best search",
    "final node",
    "final search",
    "final select",
    "final test",
    "final self-reported",
    "baseline",
    "elapsed",
    "tokens in/out",
    "cost",
)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def run_row(run: RunData) -> list[str]:
    nodes = run.searched
    best = best_search_node(run)
    final = run.node(run.final_node_id) if run.final_node_id is not None else None
    counts = [sum(1 for n in nodes if n.status.value == s) for s in ("good", "buggy", "lost")]
    elapsed = run.elapsed_s
    return [
        run.name,
        run.task,
        run.agent,
        f"{run.metric} ({'max' if run.maximize else 'min'})",
        f"{len(nodes)} ({counts[0]}/{counts[1]}/{counts[2]})",
        _fmt(best.search_score if best else None),
        "—" if final is None else str(final.id),
        _fmt(final.search_score if final else None),
        _fmt(final.select_score if final else None),
        _fmt(final.test_score if final else None),
        _fmt(final.self_reported_score if final else None),
        _fmt(run.result.baseline if run.result else None),
        "—" if elapsed is None else f"{elapsed:.0f} s",
        f"{sum(n.tokens_in for n in nodes)}/{sum(n.tokens_out for n in nodes)}",
        f"${sum(n.cost_usd for n in nodes):.4f}",
    ]


def markdown_summary(
    runs: Sequence[RunData], plots: Sequence[Path] = (), base: Path | None = None
) -> str:
    """The summary as markdown; plot paths are written relative to `base` when given."""
    lines = [
        "# airlab report",
        "",
        f"{len(runs)} run(s). Scores are hidden: `search` is the fitness the policy saw; "
        "`select` chose the final node after the search; `test` was scored once, for the final "
        "node only.",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "|".join("---" for _ in _COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(run_row(run)) + " |" for run in runs]
    incomplete = [run.name for run in runs if not run.complete]
    if incomplete:
        lines += ["", f"Not finished (no final choice yet): {', '.join(incomplete)}."]
    images = [p for p in plots if p.suffix == ".png"]
    if images:
        lines += ["", "## Plots", ""]
        for path in images:
            shown = path.relative_to(base) if base is not None else path
            lines += [
                f"### {path.stem.replace('_', ' ')}",
                "",
                f"![{path.stem}]({shown.as_posix()})",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
