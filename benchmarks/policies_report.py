"""The benchmark's table, plot and plain statement of where airlab loses."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from policy_contrasts import policy_differences, reaches_peer

from airlab.journal import Node
from airlab.runner.config import Selection
from airlab.runner.finalize import choose_final

PEERS = {"tpe": "Optuna TPE", "random": "random search"}


class TaskMetric(NamedTuple):
    metric: str
    maximize: bool


def best_found(result: dict[str, Any], maximize: bool) -> float:
    """The best test score among all of a search's candidates: what a choice that knew the test
    split would have submitted. Read after the search for the report only; no search uses it."""
    tests = [n["test_score"] for n in result["nodes"] if n.get("test_score") is not None]
    if not tests:
        return np.nan
    return float(max(tests) if maximize else min(tests))


def final_node_test(nodes: list[Node], maximize: bool) -> float:
    """The test score of the node a run of these candidates submits, chosen by the same
    protocol as `airlab run` (nan: none, or not graded)."""
    final = choose_final(nodes, maximize=maximize, selection=Selection())
    return np.nan if final is None or final.test_score is None else float(final.test_score)


def repeat_share(result: dict[str, Any]) -> float:
    """The share of a search's candidates whose script an earlier candidate of the same search
    already ran (same digest): budget the search spent learning nothing new (nan: a peer, whose
    trials keep no script, or a table older than recorded digests)."""
    digests = [node.get("code_sha256") for node in result["nodes"]]
    if result["method"] in PEERS or not digests or None in digests:
        return np.nan
    return 1 - len(set(digests)) / len(digests)


def curves(result: dict[str, Any], maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per number of candidates evaluated: best search score so far, and the test score of the
    node the run would submit then."""
    nodes = [Node.model_validate(n) for n in result["nodes"]]
    best, test = [], []
    for k in range(1, len(nodes) + 1):
        seen = [n.search_score for n in nodes[:k] if n.search_score is not None]
        best.append((max(seen) if maximize else min(seen)) if seen else np.nan)
        test.append(final_node_test(nodes[:k], maximize))
    return np.array(best, dtype=float), np.array(test, dtype=float)


def _label(method: str, run: dict[str, Any]) -> str:
    """A method as the table names it: a peer's name, or the policy with its operator set and
    whatever the search set beyond the table's own (`-P`, `-O`, the templates' rates)."""
    if method in PEERS:
        return PEERS[method]
    settings = {
        **run.get("policy_params", {}),
        **run.get("operator_options", {}),
        **{
            f"{name}_rate": run[f"{name}_rate"]
            for name in ("jump", "tune")
            if run.get(f"{name}_rate")
        },
    }
    shown = ", ".join(f"{key}={str(value).lower()}" for key, value in settings.items())
    return f"{method} ({run['operators']}{'; ' + shown if shown else ''})"


def write_report(results: list[dict[str, Any]], out: Path, *, wall_seconds: float) -> None:
    by_task: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        by_task[result["task"]][result["method"]].append(result)
    metrics = {r["task"]: TaskMetric(r["metric"], r["maximize"]) for r in results}
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    finals: dict[int, float] = {}  # id of a search -> its final node's test score, all budget
    for task, methods in by_task.items():
        summary[task] = {}
        for method, runs in methods.items():
            pairs = [curves(run, metrics[task].maximize) for run in runs]
            finals.update(
                (id(run), float(pair[1][-1])) for run, pair in zip(runs, pairs, strict=True)
            )
            summary[task][method] = {
                "label": _label(method, runs[0]),
                "best": np.array([p[0] for p in pairs]),
                "test": np.array([p[1] for p in pairs]),
                "found": np.array([best_found(run, metrics[task].maximize) for run in runs]),
                "repeats": np.array([repeat_share(run) for run in runs]),
                "seconds": float(np.median([run["seconds"] for run in runs])),
                "seeds": len(runs),
            }
    ours = list(dict.fromkeys(r["method"] for r in results if r["method"] not in PEERS))

    def final_test(result: dict[str, Any]) -> float:
        return finals[id(result)]

    lines = [
        *_table(summary, metrics, results, wall_seconds),
        "",
        "Against the peers (median test score of the final node over seeds):",
        "",
        *(
            line
            for peer, label in PEERS.items()
            for line in reaches_peer(results, ours, peer, label, final_test)
        ),
        "",
        *policy_differences(results, ours, final_test),
        "",
        *where_airlab_loses(summary, metrics),
        "",
        *found_or_chosen(summary, metrics),
    ]
    (out / "policies.md").write_text("\n".join(lines) + "\n")
    _plot(summary, metrics, out / "policies.png")


def _fmt(values: np.ndarray) -> str:
    final = values[:, -1]
    final = final[~np.isnan(final)]
    if not len(final):
        return "—"
    return f"{np.median(final):.4f} [{final.min():.4f}, {final.max():.4f}]"


def _table(
    summary: dict,
    metrics: dict[str, TaskMetric],
    results: list[dict[str, Any]],
    wall_seconds: float,
) -> list[str]:
    candidates = results[0]["candidates"]
    seeds = sorted({row["seeds"] for methods in summary.values() for row in methods.values()})
    lines = [
        f"Each search evaluated {candidates} candidates; {'/'.join(map(str, seeds))} seeds per "
        f"method and task; median [min, max] over seeds. Total wall time "
        f"{wall_seconds / 60:.1f} min.",
        "",
        "| task (metric) | method | best search score | test score of the final node "
        "| repeats† | s/search* |",
        "|---|---|---|---|---|---|",
    ]
    for task, methods in summary.items():
        spec = metrics[task]
        arrow = "↑" if spec.maximize else "↓"
        for row in methods.values():
            lines.append(
                f"| {task} ({spec.metric} {arrow}) | {row['label']} | {_fmt(row['best'])} | "
                f"{_fmt(row['test'])} | {_share(row['repeats'])} | {row['seconds']:.0f} |"
            )
    lines += [
        "",
        "\\* median wall seconds of one search; a search whose candidates all ran before (the "
        "same drafts, the same first random trials) is fast because executions are cached.",
        "† median share of a search's candidates that ran a script the same search had already "
        "run (the same digest): a policy's budget spent on nothing new.",
    ]
    return lines


def _share(values: np.ndarray) -> str:
    return "—" if np.isnan(values).all() else f"{np.nanmedian(values):.0%}"


def _median_final(row: dict[str, Any], key: str) -> float:
    final = row[key][:, -1]
    return float(np.nanmedian(final)) if np.any(~np.isnan(final)) else np.nan


def where_airlab_loses(summary: dict, metrics: dict[str, TaskMetric]) -> list[str]:
    """One line per task, score and peer where a peer's median beats airlab policies'."""
    lines = ["Where airlab loses (median over seeds, at the full budget):", ""]
    losses = 0
    for task, methods in summary.items():
        sign = 1.0 if metrics[task].maximize else -1.0
        ours = {m: r for m, r in methods.items() if m not in PEERS}
        peers = {m: r for m, r in methods.items() if m in PEERS}
        for key, what in (("test", "test score"), ("best", "best search score")):
            for peer, peer_row in peers.items():
                peer_value = _median_final(peer_row, key)
                beaten = [
                    f"{row['label']} {_median_final(row, key):.4f}"
                    for row in ours.values()
                    if sign * _median_final(row, key) < sign * peer_value
                ]
                if not beaten:
                    continue
                losses += 1
                everyone = len(beaten) == len(ours)
                lead = "every airlab policy loses" if everyone else "airlab loses"
                lines.append(
                    f"- {task}, {what}: {lead} to {PEERS[peer]} ({peer_value:.4f}): "
                    + ", ".join(beaten)
                    + "."
                )
    if not losses:
        lines.append("- nowhere on the median: every policy matched or beat both peers.")
    lines += ["", *_best_seed_losses(summary, metrics)]
    seeds, candidates = min(
        (row["test"].shape for methods in summary.values() for row in methods.values()),
        default=(0, 0),
    )
    noisy = (
        "a few seeds at a small budget are noisy; rerun with `--candidates 40 --seeds 5` "
        "before drawing conclusions."
        if seeds < 5 or candidates < 40
        else f"a median over {seeds} seeds still moves with one seed: a task decided by less "
        "than the seeds' spread (the [min, max] above) is not a verdict."
    )
    lines += [
        "",
        "Caveats: the peers search single-model recipes only (no ensembles), airlab also spends "
        f"time writing each candidate, and {noisy}",
    ]
    return lines


def found_or_chosen(summary: dict, metrics: dict[str, TaskMetric]) -> list[str]:
    """Where a peer's final node tests better than every policy's (medians over seeds): did no
    policy evaluate a candidate as good, or did one evaluate it and submit another? The
    candidates' test scores are read after the searches, for this line only."""
    lines = [
        "Found or chosen? Where every airlab policy's final node tests worse than a peer's "
        "(medians over seeds), the best test score among a search's candidates (known only "
        "after the search; nothing chooses by it):",
        "",
    ]
    for task, methods in summary.items():
        sign = 1.0 if metrics[task].maximize else -1.0
        ours = {m: r for m, r in methods.items() if m not in PEERS}
        if not ours:
            continue
        found = {m: _median_found(r) for m, r in ours.items() if np.any(~np.isnan(r["found"]))}
        top = max(found, key=lambda m: sign * found[m], default=None)
        for peer in (m for m in methods if m in PEERS):
            peer_final = _median_final(methods[peer], "test")
            if top is None or any(
                sign * _median_final(r, "test") >= sign * peer_final for r in ours.values()
            ):
                continue
            best = f"best median {ours[top]['label']} {found[top]:.4f}"
            theirs = f"{peer_final:.4f}, its own best candidate {_median_found(methods[peer]):.4f}"
            if sign * found[top] >= sign * peer_final:
                lines.append(
                    f"- {task}: found, not chosen: the policies' searches held candidates testing "
                    f"at least as well as {PEERS[peer]}'s final node ({theirs}; {best}), and "
                    "the choice on the hidden splits (the same for every method) passed them over."
                )
            else:
                lines.append(
                    f"- {task}: not found: no policy's candidates reached {PEERS[peer]}'s final "
                    f"node's test score ({theirs}; {best})."
                )
    if len(lines) == 2:
        lines.append("- nowhere: some policy's final node matched or beat each peer's.")
    return lines


def _median_found(row: dict[str, Any]) -> float:
    return float(np.nanmedian(row["found"])) if np.any(~np.isnan(row["found"])) else np.nan


def _best_final(row: dict[str, Any], key: str, sign: float) -> float:
    final = row[key][:, -1]
    final = final[~np.isnan(final)]
    return float(sign * np.max(sign * final)) if len(final) else np.nan


def _best_seed_losses(summary: dict, metrics: dict[str, TaskMetric]) -> list[str]:
    """Where a peer's best seed beats the best seed of every airlab policy."""
    lines = []
    for task, methods in summary.items():
        sign = 1.0 if metrics[task].maximize else -1.0
        ours = [r for m, r in methods.items() if m not in PEERS]
        for key, what in (("test", "test score"), ("best", "best search score")):
            our_best = max((sign * _best_final(r, key, sign) for r in ours), default=np.nan)
            for peer in (m for m in methods if m in PEERS):
                peer_best = _best_final(methods[peer], key, sign)
                if sign * peer_best > our_best:
                    lines.append(
                        f"- {task}, {what}, best seed: {PEERS[peer]} ({peer_best:.4f}) beats "
                        f"every airlab policy's best seed ({sign * our_best:.4f})."
                    )
    return lines or ["- no peer's best seed beats the best seed of every policy."]


def _plot(summary: dict, metrics: dict[str, TaskMetric], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(summary)
    figure, axes = plt.subplots(
        len(tasks), 2, figsize=(11, 3.4 * len(tasks)), squeeze=False, layout="constrained"
    )  # constrained, not tight: tight_layout lets the suptitle overlap the first row's titles
    for row_axes, task in zip(axes, tasks, strict=True):
        spec = metrics[task]
        shown: dict[int, list[np.ndarray]] = {0: [], 1: []}
        for method, row in summary[task].items():
            style = "--" if method in PEERS else "-"
            for column, (ax, key) in enumerate(zip(row_axes, ("best", "test"), strict=True)):
                values = row[key]
                x = np.arange(1, values.shape[1] + 1)
                with np.errstate(all="ignore"):
                    median = np.nanmedian(values, axis=0)
                    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
                (line,) = ax.plot(x, median, style, label=row["label"])
                ax.fill_between(x, low, high, color=line.get_color(), alpha=0.12)
                shown[column] += [low[len(x) // 4 :], high[len(x) // 4 :]]
        for column, ax in enumerate(row_axes):  # the first random trials would set the scale
            _zoom(ax, np.concatenate(shown[column]))
        row_axes[0].set_title(f"{task}: best search {spec.metric}")
        row_axes[1].set_title(f"{task}: test {spec.metric} of the final node")
        for ax in row_axes:
            ax.set_xlabel("candidates evaluated")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.grid(alpha=0.3)
    axes[0][1].legend(fontsize=8, loc="best")
    figure.suptitle(
        "median over seeds; band: min–max; y axis fitted to the last three quarters of the budget",
        fontsize=9,
    )
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _zoom(ax: Any, values: np.ndarray) -> None:
    """Fit the y axis to `values` with a margin (no-op when none is finite)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    margin = 0.08 * (high - low) or 0.01 * max(abs(low), 1e-9)
    ax.set_ylim(low - margin, high + margin)
