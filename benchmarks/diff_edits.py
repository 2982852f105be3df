"""Whole scripts against SEARCH/REPLACE blocks for improve and debug (`-O edit_format`).

    python benchmarks/diff_edits.py --tasks breast-cancer,diabetes --steps 6 --out bench-diff
    python benchmarks/diff_edits.py --base-url http://127.0.0.1:8081 --steps 6 --out bench-diff

Runs the same tasks and seeds twice with greedy search, once with `edit_format=whole` and once
with `edit_format=diff`, and reads each run's journal: every improve and debug node is one step.
Reported per format:

- the patch-apply rate (diff only): steps whose blocks applied over all diff steps (a step whose
  fallback wrote no code at all counts as not applied), with a Wilson 95% interval, and the
  fallbacks by reason;
- completion tokens per step (every call of the step: its first answer, a reminder, a fallback)
  and per first call, from the usage ledger, and the ratio diff / whole of the means with a
  bootstrap 95% interval (steps resampled within each format);
- characters written per step: the script (whole) or the blocks (diff), the size of what the
  writer had to produce, also known for the offline templates backend, whose usage is zero;
- valid steps (the node ran and its submission was accepted) and the best search score.

Without `--base-url` the offline templates backend writes (its blocks always apply: a check of
the plumbing, not of a model). With `--base-url` a running OpenAI-compatible server answers
(`benchmarks/local_runtime.py` installs and serves Qwen2.5-Coder-1.5B; this script starts
nothing), one call at a time, at temperature 0 so that both formats start from the same draft;
analysis calls are off (`-O analysis=false`) in both, and greedy drafts once
(`-P num_drafts=1`), so that most steps are improve or debug.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from airlab.backends.routing import route_keys
from airlab.journal import Journal
from airlab.journal.edit import EditOutcome, EditRecord
from airlab.operators.patches import diff_blocks, render_blocks

FORMATS = ("whole", "diff")
STEP_OPERATORS = ("improve", "debug")
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
"""The model name `local_runtime.py` serves under."""


@dataclass
class Step:
    """One improve or debug node of a run."""

    task: str
    seed: int
    format: str
    node: int
    operator: str
    calls: int
    tokens_out: int
    first_out: int
    """Completion tokens of the step's first call (its answer before any reminder or
    fallback)."""
    written_chars: int
    outcome: str
    """applied, fell_back, whole_answer; `no_code` for a diff step that ended without code;
    `whole` under the whole format."""
    reason: str
    valid: bool


def run_one(
    task: str, fmt: str, seed: int, steps: int, backend: list[str], out: Path
) -> tuple[Path, float]:
    """One `airlab run`; its folder and wall seconds."""
    name = f"{task}-s{seed}-{fmt}"
    command = [
        sys.executable, "-m", "airlab", "run", "-t", task, "-p", "greedy",
        "-P", "num_drafts=1", "-O", f"edit_format={fmt}", "-O", "analysis=false",
        *backend, "--steps", str(steps), "--workers", "1", "--seed", str(seed),
        "--runs-dir", str(out / "runs"), "--name", name,
    ]  # fmt: skip
    started = time.monotonic()
    with (out / f"{name}.log").open("wb") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    return out / "runs" / name, time.monotonic() - started


def read_steps(run_dir: Path, task: str, seed: int, fmt: str) -> tuple[list[Step], float | None]:
    """The improve and debug steps of a run, and its best search score."""
    with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
        nodes = {node.id: node for node in journal.nodes()}
        calls = journal.calls()
    steps = []
    for node in nodes.values():
        if node.operator not in STEP_OPERATORS:
            continue
        own = [
            c for c in calls if c.node_id == node.id and route_keys(c.purpose) == (node.operator,)
        ]
        first = [c for c in own if c.purpose == node.operator]
        record = node.meta.get("edit")
        edit = EditRecord.model_validate(record) if isinstance(record, dict) else None
        if fmt == "whole":
            outcome, reason = "whole", ""
        elif edit is None:
            outcome, reason = "no_code", ""
        else:
            outcome, reason = edit.outcome.value, edit.reason.value if edit.reason else ""
        parent = nodes.get(node.parent_ids[0]) if node.parent_ids else None
        steps.append(
            Step(
                task=task,
                seed=seed,
                format=fmt,
                node=node.id,
                operator=node.operator,
                calls=len(own),
                tokens_out=sum(c.tokens_out for c in own),
                first_out=sum(c.tokens_out for c in first),
                written_chars=_written_chars(node.code, parent.code if parent else "", outcome),
                outcome=outcome,
                reason=reason,
                valid=node.is_good,
            )
        )
    result = json.loads((run_dir / "result.json").read_text())
    return steps, result.get("best_search_score")


def _written_chars(code: str, parent_code: str, outcome: str) -> int:
    """The script's characters, or for applied blocks those of the smallest blocks that make
    the same change (what the templates write; a model's blocks are about this size)."""
    if outcome == EditOutcome.APPLIED.value and parent_code:
        return len(render_blocks(diff_blocks(parent_code, code)))
    return len(code)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float, float]:
    """The proportion and its Wilson score interval (NaNs for n = 0)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def ratio_ci(
    numerator: list[float], denominator: list[float], n_boot: int = 10_000, seed: int = 0
) -> tuple[float, float, float]:
    """mean(numerator) / mean(denominator) and its percentile bootstrap 95% interval, each
    sample resampled on its own (NaNs when either is empty or the denominator's mean is 0)."""
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if a.size == 0 or b.size == 0 or b.mean() == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    top = a[rng.integers(0, a.size, (n_boot, a.size))].mean(axis=1)
    bottom = b[rng.integers(0, b.size, (n_boot, b.size))].mean(axis=1)
    keep = bottom > 0
    ratios = top[keep] / bottom[keep]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(a.mean() / b.mean()), float(low), float(high)


def summary(steps: list[Step]) -> dict[str, object]:
    """The table's numbers from every step of every run."""
    by = {fmt: [s for s in steps if s.format == fmt] for fmt in FORMATS}
    diff = by["diff"]
    applied = sum(s.outcome == EditOutcome.APPLIED.value for s in diff)
    reasons: dict[str, int] = {}
    for s in diff:
        if s.outcome != EditOutcome.APPLIED.value:
            key = s.reason or s.outcome
            reasons[key] = reasons.get(key, 0) + 1
    out: dict[str, object] = {
        "steps": {fmt: len(by[fmt]) for fmt in FORMATS},
        "valid": {fmt: sum(s.valid for s in by[fmt]) for fmt in FORMATS},
        "apply_rate": wilson(applied, len(diff)),
        "applied": applied,
        "not_applied": reasons,
    }
    for key in ("tokens_out", "first_out", "written_chars", "calls"):
        means = {fmt: _mean([getattr(s, key) for s in by[fmt]]) for fmt in FORMATS}
        out[key] = means
        out[f"{key}_ratio"] = ratio_ci(
            [getattr(s, key) for s in diff], [getattr(s, key) for s in by["whole"]]
        )
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _ci(triple: object) -> str:
    value, low, high = triple  # type: ignore[misc]
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"


def _number(value: float, digits: int) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def table(result: dict[str, object]) -> str:
    """The Markdown table of `summary`."""
    steps, valid = result["steps"], result["valid"]
    rows = [
        "| | whole | diff | diff / whole (95% CI) |",
        "|---|---|---|---|",
        f"| improve/debug steps | {steps['whole']} | {steps['diff']} | |",  # type: ignore[index]
        f"| valid steps | {valid['whole']} | {valid['diff']} | |",  # type: ignore[index]
    ]
    for key, label in (
        ("tokens_out", "completion tokens per step"),
        ("first_out", "completion tokens per first call"),
        ("calls", "model calls per step"),
        ("written_chars", "characters written per step"),
    ):
        means, digits = result[key], 2 if key == "calls" else 0
        whole, diff = (_number(means[fmt], digits) for fmt in FORMATS)  # type: ignore[index]
        rows.append(f"| {label} | {whole} | {diff} | {_ci(result[f'{key}_ratio'])} |")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(result["not_applied"].items()))  # type: ignore[attr-defined]
    rows.append(
        f"| patch-apply rate (Wilson 95% CI) | | {_ci(result['apply_rate'])} "
        f"({result['applied']}/{steps['diff']}) | |"  # type: ignore[index]
    )
    rows.append(f"| not applied, by reason | | {reasons or 'none'} | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="breast-cancer,diabetes")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--base-url", help="a running OpenAI-compatible server (else: templates)")
    parser.add_argument("--model", default=MODEL_ALIAS)
    parser.add_argument("--out", type=Path, default=Path("bench-diff"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.base_url:
        url = args.base_url.rstrip("/").removesuffix("/v1")
        backend = [
            "-b", f"openai-compatible/{args.model}@{url}/v1", "--llm-concurrency", "1",
            "--no-preflight", "-B", "temperature=0", "-B", "timeout_s=1800",
            "-B", "max_retries=2",
        ]  # fmt: skip
    else:
        backend = ["-b", "templates"]
    steps: list[Step] = []
    best: dict[str, float | None] = {}
    for task in args.tasks.split(","):
        for seed in range(args.seeds):
            for fmt in FORMATS:
                run_dir, wall = run_one(task, fmt, seed, args.steps, backend, args.out)
                if not (run_dir / "result.json").is_file():
                    print(f"{run_dir.name}: no result.json (see {run_dir.name}.log)")
                    continue
                found, best[run_dir.name] = read_steps(run_dir, task, seed, fmt)
                steps += found
                print(f"{run_dir.name}: {len(found)} improve/debug steps, {wall:.0f} s")
    result = summary(steps)
    text = (
        table(result)
        + "\n\nBest search score per run: "
        + ", ".join(
            f"{name} {'n/a' if score is None else f'{score:.4f}'}" for name, score in best.items()
        )
    )
    (args.out / "diff_edits.md").write_text(text + "\n")
    (args.out / "diff_edits.json").write_text(
        json.dumps({"summary": result, "best": best, "steps": [asdict(s) for s in steps]}, indent=1)
    )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
