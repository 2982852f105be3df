"""Do the policies differ, and does the best of them reach TPE? Two statements for the policy
benchmark's report, each from the searches' final test scores, paired by (task, seed).

Behaviour and score are reported apart: two policies can write different scripts and still
end on the same node (offline, the templates' improvements are seeded by node id), and equal
scores then do not mean equal searches. Scores are compared by rank within each (task, seed),
so tasks with different metrics and scales weigh the same: Friedman's test over the policies
says whether any differ, and each pair gets its wins, losses and mean rank difference with a
95% bootstrap interval over the (task, seed) blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
from scipy.stats import friedmanchisquare, rankdata

FinalTest = Callable[[dict[str, Any]], float]
"""The test score of a search's final node at its full budget (NaN: no valid node)."""


def signed_score(score: float, maximize: bool) -> float:
    """Higher is better; a search without a final node ranks below every other."""
    if np.isnan(score):
        return -np.inf
    return score if maximize else -score


def _blocks(
    results: Sequence[dict[str, Any]], methods: Sequence[str], final_test: FinalTest
) -> tuple[np.ndarray, list[list[list[str]]]]:
    """Signed final test scores, one row per (task, seed) every method ran, one column per
    method; and the scripts each search wrote, in order."""
    by_key = {(r["task"], r["seed"], r["method"]): r for r in results}
    keys = sorted({(r["task"], r["seed"]) for r in results})
    by_digest = records_scripts(results)  # one way for every run, or mixed runs all differ
    scores, scripts = [], []
    for task, seed in keys:
        runs = [by_key[(task, seed, m)] for m in methods if (task, seed, m) in by_key]
        if len(runs) < len(methods):
            continue
        scores.append([signed_score(final_test(run), run["maximize"]) for run in runs])
        scripts.append([trace(run, by_digest=by_digest) for run in runs])
    return np.array(scores, dtype=float).reshape(-1, len(methods)), scripts


SCRIPTS_KEY = "code_sha256"
"""Each node's script digest, as `benchmarks/policies.py` records it (since 2026-12-06)."""


def records_scripts(results: Sequence[dict[str, Any]]) -> bool:
    """Whether every node of every search recorded its script's digest."""
    return all(SCRIPTS_KEY in node for run in results for node in run["nodes"])


def trace(run: dict[str, Any], *, by_digest: bool) -> list[Any]:
    """What a search did, node by node: its scripts' digests (`by_digest`, decided once for
    all the searches compared); else (results written before digests were kept) each node's
    operator, status and search score, whose sequences differ whenever the scripts' do not
    run alike."""
    nodes = run["nodes"]
    if by_digest:
        return [node[SCRIPTS_KEY] for node in nodes]
    return [(n.get("operator"), n.get("status"), n.get("search_score")) for n in nodes]


def _compared_by(results: Sequence[dict[str, Any]]) -> str:
    if records_scripts(results):
        return "Different searches: those whose sequences of scripts are not the same."
    return (
        "Different searches: those whose sequences of (operator, status, search score) per "
        "node are not the same (these results did not record their scripts; two searches "
        "writing different scripts that score alike node by node count as the same, so this "
        "is a lower bound on different scripts)."
    )


def policy_differences(
    results: Sequence[dict[str, Any]],
    methods: Sequence[str],
    final_test: FinalTest,
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> list[str]:
    """Markdown: whether `methods` differ in behaviour and in test score."""
    scores, scripts = _blocks(results, methods, final_test)
    blocks = len(scores)
    lines = ["Do the policies differ? (final test scores, paired by task and seed)", ""]
    if blocks < 2 or len(methods) < 2:
        return [*lines, "- too few (task, seed) pairs that every policy ran to compare them."]
    ranks = np.array([rankdata(-row) for row in scores])  # 1 = best; ties share their mean
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, blocks, size=(resamples, blocks))
    lines += [
        "| policies | different searches | wins / losses / ties on test "
        "| mean rank difference [95% CI] |",
        "|---|---|---|---|",
    ]
    for a, b in combinations(range(len(methods)), 2):
        differ = sum(block[a] != block[b] for block in scripts)
        wins = int(np.sum(scores[:, a] > scores[:, b]))
        losses = int(np.sum(scores[:, a] < scores[:, b]))
        gap = ranks[:, a] - ranks[:, b]  # negative: a ranks better
        low, high = np.percentile(gap[draws].mean(axis=1), [2.5, 97.5])
        lines.append(
            f"| {methods[a]} vs {methods[b]} | {differ}/{blocks} | {wins} / {losses} / "
            f"{blocks - wins - losses} | {gap.mean():+.2f} [{low:+.2f}, {high:+.2f}] |"
        )
    lines += [
        "",
        "Ranks are within each (task, seed), 1 the best; a negative difference means the first "
        "policy of the pair ranks better. " + _compared_by(results),
        "",
        _friedman_line(scores, methods),
    ]
    return lines


def _friedman_line(scores: np.ndarray, methods: Sequence[str]) -> str:
    """Friedman's test needs three or more policies and some block where they differ."""
    if len(methods) < 3:
        return "- Friedman's test needs three policies or more."
    if all(len(set(row)) == 1 for row in scores):
        return "- every policy scored the same in every (task, seed): no difference in score."
    finite = np.where(np.isfinite(scores), scores, np.nanmin(scores[np.isfinite(scores)]) - 1)
    statistic, p = friedmanchisquare(*finite.T)
    verdict = "differ" if p < 0.05 else "do not measurably differ"
    return (
        f"- Friedman over {len(scores)} (task, seed) blocks: chi² = {statistic:.2f}, "
        f"p = {p:.3g}: the policies' test scores {verdict} at the 5% level."
    )


def reaches_peer(
    results: Sequence[dict[str, Any]],
    methods: Sequence[str],
    peer: str,
    peer_label: str,
    final_test: FinalTest,
) -> list[str]:
    """Markdown: on how many tasks the best policy's median test score matches or beats the
    peer's median (a search without a final node counts as the worst score)."""
    tasks = sorted({r["task"] for r in results})
    reached, missed, compared = 0, [], 0
    alone = dict.fromkeys(methods, 0)  # tasks each policy reaches by itself
    for task in tasks:
        runs = [r for r in results if r["task"] == task]
        peer_runs = [r for r in runs if r["method"] == peer]
        if not peer_runs:
            continue
        compared += 1

        def median(method: str, runs: list[dict[str, Any]] = runs) -> float:
            signed = [
                signed_score(final_test(r), r["maximize"]) for r in runs if r["method"] == method
            ]
            return float(np.median(signed)) if signed else -np.inf

        for method in methods:
            alone[method] += median(method) >= median(peer)
        best = max(methods, key=median)
        if median(best) >= median(peer):
            reached += 1
        else:
            missed.append(task)
    if not compared:
        return [f"- {peer_label} did not run: nothing to compare."]
    line = (
        f"- The best airlab policy's median test score matches or beats {peer_label}'s median "
        f"on {reached} of {compared} tasks"
    )
    line += f"; not on {', '.join(missed)}." if missed else "."
    if len(methods) > 1:  # the best of several is picked per task after the fact
        each = ", ".join(f"{method} {count}" for method, count in alone.items())
        line += f" Each policy by itself (fixed in advance): {each}."
    return [line]
