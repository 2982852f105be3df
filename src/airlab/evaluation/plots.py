"""Figures for `airlab report`: diversity scatter and rank bars.

matplotlib is imported lazily inside each function, with the non-interactive Agg backend, so the
rest of the package (and servers without a display) never need it. Each function returns the
paths it wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from airlab.evaluation.errors import EvaluationError


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise EvaluationError("plots need matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_diversity(table: pd.DataFrame, path: str | Path) -> list[Path]:
    """Scatter of each run's draft entropy (bits) against its performance, one colour an agent.

    `table` is `diversity.run_diversity(...)`; agent means are drawn as larger outlined markers.
    """
    for col in ("agent", "entropy_bits", "performance"):
        if col not in table.columns:
            raise EvaluationError(f"plot_diversity: table has no column {col!r}")
    plt = _pyplot()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, (agent, group) in enumerate(table.groupby("agent", sort=True)):
        colour = f"C{i % 10}"
        ax.scatter(
            group["entropy_bits"],
            group["performance"],
            s=18,
            alpha=0.6,
            color=colour,
            label=str(agent),
        )
        ax.scatter(
            [group["entropy_bits"].mean()],
            [group["performance"].mean()],
            s=120,
            color=colour,
            edgecolor="black",
            linewidth=1.2,
            zorder=3,
        )
    ax.set_xlabel("draft diversity (Shannon entropy of approach families, bits)")
    ax.set_ylabel("performance (percentile among runs of the task)")
    ax.set_title("Ideation diversity vs performance")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return [out]


def plot_rank_bars(frame: pd.DataFrame, path: str | Path) -> list[Path]:
    """Horizontal bars of each agent's rating with its bootstrap CI, one panel per method.

    `frame` has columns method, agent, rating and optionally rating_low, rating_high (the CSV
    `airlab rank` writes).
    """
    for col in ("method", "agent", "rating"):
        if col not in frame.columns:
            raise EvaluationError(f"plot_rank_bars: frame has no column {col!r}")
    plt = _pyplot()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    methods = list(dict.fromkeys(frame["method"]))
    n_agents = frame["agent"].nunique()
    fig, axes = plt.subplots(
        len(methods),
        1,
        figsize=(6.4, max(2.0, 0.35 * n_agents + 1.0) * len(methods)),
        squeeze=False,
    )
    for ax, method in zip(axes[:, 0], methods, strict=True):
        part = frame[frame["method"] == method].iloc[::-1]
        y = range(len(part))
        err = None
        if {"rating_low", "rating_high"} <= set(part.columns) and part["rating_low"].notna().any():
            err = [
                (part["rating"] - part["rating_low"]).clip(lower=0),
                (part["rating_high"] - part["rating"]).clip(lower=0),
            ]
        ax.barh(list(y), part["rating"], xerr=err, color="C0", alpha=0.8, capsize=3)
        ax.set_yticks(list(y))
        ax.set_yticklabels(part["agent"], fontsize=8)
        ax.set_title(str(method), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return [out]
