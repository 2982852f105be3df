"""Plots of one or many runs, drawn with matplotlib (no pyplot state, so safe anywhere).

Each plot registers in `PLOTS` under a name and draws a `Figure` from a list of runs, or returns
None when it has nothing to show (e.g. no solution printed a self-reported score). Other packages
(the evaluation report) can add their own plots to the same registry and reuse `write_plots`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from airlab.journal import NodeStatus
from airlab.registry import Registry
from airlab.report.data import RunData
from airlab.report.viewmodel import best_so_far

PlotFunction = Callable[[Sequence[RunData]], Figure | None]
PLOTS: Registry[PlotFunction] = Registry("plot")
FORMATS = ("png", "svg")
_STATUS_COLOURS = {
    NodeStatus.GOOD: "#1a9850",
    NodeStatus.BUGGY: "#d73027",
    NodeStatus.LOST: "#9e3dbd",
}


def write_plots(
    runs: Sequence[RunData],
    out_dir: Path,
    *,
    names: Sequence[str] | None = None,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Draw the named plots (default: all) and save each in every format; return the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or PLOTS.names():
        figure = PLOTS.get(name)(runs)
        if figure is None:
            continue
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            figure.savefig(path, dpi=120, bbox_inches="tight")
            written.append(path)
    return written


# ---- helpers -----------------------------------------------------------------------------------
def run_label(run: RunData, runs: Sequence[RunData]) -> str:
    """The shortest label that tells this run apart from the others."""
    same_agent = [r for r in runs if r.agent == run.agent and r.task == run.task]
    if len(same_agent) <= 1:
        return run.agent
    seed = run.config.seed if run.config else None
    return f"{run.agent} seed {seed}" if seed is not None else f"{run.agent} {run.name}"


def by_task(runs: Sequence[RunData]) -> dict[str, list[RunData]]:
    groups: dict[str, list[RunData]] = defaultdict(list)
    for run in runs:
        groups[run.task].append(run)
    return dict(sorted(groups.items()))


def _grid(count: int, *, width: float = 5.2, height: float = 3.6) -> tuple[Figure, list]:
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[count:]:
        extra.set_visible(False)
    return figure, axes[:count]


def _zoom(ax, values: Sequence[float | None]) -> None:
    """Set the y range around the values: scores of good solutions differ in the third digit."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    if present:
        low, high = min(present), max(present)
        margin = (high - low) * 0.5 or abs(high) * 0.02 or 0.01
        ax.set_ylim(low - margin, high + margin)


def _score_label(run: RunData, split: str = "search") -> str:
    arrow = "↑" if run.maximize else "↓"
    return f"{split} {run.metric} ({arrow} better)"


# ---- plots -------------------------------------------------------------------------------------
def _best_curve(runs: Sequence[RunData], x_key: str, x_label: str) -> Figure | None:
    tasks = by_task(runs)
    if not any(run.searched for run in runs):
        return None
    figure, axes = _grid(len(tasks))
    for ax, (task, group) in zip(axes, tasks.items(), strict=True):
        for run in group:
            points = [p for p in best_so_far(run) if p["best"] is not None]
            if points:
                xs = [p[x_key] for p in points]
                ax.step(xs, [p["best"] for p in points], where="post", label=run_label(run, runs))
        ax.set_title(task)
        ax.set_xlabel(x_label)
        ax.set_ylabel(f"best {_score_label(group[0])}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle("Best hidden search score so far")
    return figure


@PLOTS.register("best_vs_candidates")
def best_vs_candidates(runs: Sequence[RunData]) -> Figure | None:
    """How fast each run improves per candidate evaluated."""
    return _best_curve(runs, "candidates", "candidates evaluated")


@PLOTS.register("best_vs_time")
def best_vs_time(runs: Sequence[RunData]) -> Figure | None:
    """How fast each run improves per second of wall-clock time."""
    return _best_curve(runs, "seconds", "wall-clock seconds")


@PLOTS.register("self_reported_vs_hidden")
def self_reported_vs_hidden(runs: Sequence[RunData]) -> Figure | None:
    """Does a solution's own estimate track the hidden score? Points off the diagonal overfit."""
    tasks = by_task(runs)
    pairs = {
        task: [
            (run, n)
            for run in group
            for n in run.searched
            if n.is_good and n.self_reported_score is not None and n.search_score is not None
        ]
        for task, group in tasks.items()
    }
    if not any(pairs.values()):
        return None
    figure, axes = _grid(len(tasks), width=4.6, height=4.2)
    for ax, (task, group) in zip(axes, tasks.items(), strict=True):
        points = pairs[task]
        for run in group:
            mine = [n for r, n in points if r is run]
            if mine:
                ax.scatter(
                    [n.self_reported_score for n in mine],
                    [n.search_score for n in mine],
                    s=22,
                    alpha=0.75,
                    label=run_label(run, runs),
                )
        values = [v for _, n in points for v in (n.self_reported_score, n.search_score)]
        if values:
            low, high = min(values), max(values)  # type: ignore[type-var]
            ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
        ax.set_title(task)
        ax.set_xlabel(f"self-reported {group[0].metric}")
        ax.set_ylabel(f"hidden {_score_label(group[0])}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle("Self-reported vs hidden score (dashed: equal)")
    return figure


@PLOTS.register("score_by_operator")
def score_by_operator(runs: Sequence[RunData]) -> Figure | None:
    """Which operators produce good candidates, and how often they produce buggy ones."""
    tasks = by_task(runs)
    if not any(n.is_good for run in runs for n in run.searched):
        return None
    figure, axes = _grid(len(tasks))
    for ax, (task, group) in zip(axes, tasks.items(), strict=True):
        nodes = [n for run in group for n in run.searched if n.status.finished]
        operators = sorted({n.operator for n in nodes})
        scores = [
            [n.search_score for n in nodes if n.operator == op and n.search_score is not None]
            for op in operators
        ]
        labels = []
        for op in operators:
            total = sum(1 for n in nodes if n.operator == op)
            buggy = sum(1 for n in nodes if n.operator == op and not n.is_good)
            labels.append(f"{op}\n{total} nodes, {buggy} failed")
        positions = list(range(1, len(operators) + 1))
        shown = [(p, s) for p, s in zip(positions, scores, strict=True) if s]
        if shown:
            ax.boxplot([s for _, s in shown], positions=[p for p, _ in shown], widths=0.5)
        for position, values in zip(positions, scores, strict=True):
            jitter = [position + 0.12 * ((i % 5) - 2) / 2 for i in range(len(values))]
            ax.scatter(jitter, values, s=14, alpha=0.6, color="#1a9850")
        ax.set_xticks(positions, labels, fontsize=8)
        ax.set_title(task)
        ax.set_ylabel(_score_label(group[0]))
        ax.grid(alpha=0.3, axis="y")
    figure.suptitle("Hidden search score by operator")
    return figure


@PLOTS.register("status_over_time")
def status_over_time(runs: Sequence[RunData]) -> Figure | None:
    """Good, buggy and lost candidates accumulating over a run: is the search wasting steps?"""
    shown = [run for run in runs if run.searched][:9]
    if not shown:
        return None
    figure, axes = _grid(len(shown), width=4.6, height=3.2)
    for ax, run in zip(axes, shown, strict=True):
        finished = sorted(
            (n for n in run.searched if n.status.finished),
            key=lambda n: (n.finished_at or n.created_at, n.id),
        )
        xs = list(range(1, len(finished) + 1))
        stacks, labels, colours = [], [], []
        for status, colour in _STATUS_COLOURS.items():
            counts, seen = [], 0
            for node in finished:
                seen += node.status == status
                counts.append(seen)
            if seen:
                stacks.append(counts)
                labels.append(status.value)
                colours.append(colour)
        if xs:
            ax.stackplot(xs, *stacks, labels=labels, colors=colours, alpha=0.8)
        ax.set_title(f"{run.task} · {run_label(run, runs)}", fontsize=9)
        ax.set_xlabel("candidates finished")
        ax.set_ylabel("count")
        ax.legend(fontsize=8, loc="upper left")
    figure.suptitle("Candidate outcomes over the run")
    return figure


@PLOTS.register("final_choice")
def final_choice(runs: Sequence[RunData]) -> Figure | None:
    """The final node's search, select and test scores: how much did the choice overfit search?"""
    finals = [(run, run.node(run.final_node_id)) for run in runs if run.final_node_id is not None]
    if not finals:
        return None
    tasks = by_task([run for run, _ in finals])
    figure, axes = _grid(len(tasks))
    splits = (("search", "#4c78a8"), ("select", "#f58518"), ("test", "#54a24b"))
    for ax, (task, group) in zip(axes, tasks.items(), strict=True):
        chosen = [(run, node) for run, node in finals if run.task == task]
        width = 0.8 / len(splits)
        for i, (split, colour) in enumerate(splits):
            values = [getattr(node, f"{split}_score") for _, node in chosen]
            xs = [k + (i - 1) * width for k in range(len(chosen))]
            ax.bar(
                xs,
                [v if v is not None else math.nan for v in values],
                width,
                label=split + (" (hidden during search)" if split != "search" else ""),
                color=colour,
            )
        ax.set_xticks(
            range(len(chosen)),
            [f"{run_label(r, runs)}\nnode {n.id}" for r, n in chosen],
            fontsize=8,
        )
        _zoom(ax, [getattr(n, f"{s}_score") for _, n in chosen for s, _ in splits])
        ax.set_title(task)
        ax.set_ylabel(group[0].metric)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, axis="y")
    figure.suptitle("The final node on the three hidden splits")
    return figure


@PLOTS.register("policy_comparison")
def policy_comparison(runs: Sequence[RunData]) -> Figure | None:
    """Final test score of each agent on each task (bars: mean over runs; dots: single runs)."""
    finals = [run for run in runs if run.final_node_id is not None]
    if len(finals) < 2:
        return None
    tasks = by_task(finals)
    figure, axes = _grid(len(tasks))
    for ax, (task, group) in zip(axes, tasks.items(), strict=True):
        agents = sorted({run.agent for run in group})
        for k, agent in enumerate(agents):
            agent_tests = [
                run.node(run.final_node_id).test_score  # type: ignore[arg-type]
                for run in group
                if run.agent == agent
            ]
            scores = [s for s in agent_tests if s is not None]
            if scores:
                ax.bar(k, sum(scores) / len(scores), 0.6, color="#4c78a8", alpha=0.7)
                ax.scatter([k] * len(scores), scores, color="black", s=12, zorder=3)
        ax.set_xticks(range(len(agents)), agents, fontsize=8, rotation=15)
        _zoom(ax, [run.node(run.final_node_id).test_score for run in group])  # type: ignore[arg-type]
        ax.set_title(task)
        ax.set_ylabel(_score_label(group[0], "test"))
        ax.grid(alpha=0.3, axis="y")
    figure.suptitle("Final test score by agent and task")
    return figure
