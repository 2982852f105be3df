"""What an archive holds, as tables: its members, and a ranking of the evaluated ones.

The ranking treats tasks as voters over the members evaluated on every task (normalised scores):
SCO and Schulze's voting rule, each with bootstrap CIs over the tasks, next to the mean
normalised score and its CI (`airlab.evaluation`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from airlab.errors import AirlabError
from airlab.evaluation.reporting import rank_table
from airlab.evolve.archive import Archive, Member, MemberState
from airlab.evolve.evaluate import normalised_scores

RANKING_FILE = "ranking.json"
RANK_METHODS = "sco,schulze"


def label(member: Member) -> str:
    return f"m{member.id:04d}"


def members_table(archive: Archive) -> list[dict[str, Any]]:
    """One row per member: generation, parent, state, score and CI, children, hash, reason."""
    members = archive.members()
    counts: dict[int, int] = {}
    for member in members:
        if member.parent is not None:
            counts[member.parent] = counts.get(member.parent, 0) + 1
    return [
        {
            "id": m.id,
            "generation": m.generation,
            "parent": m.parent,
            "state": m.state.value,
            "score": m.score,
            "ci_low": m.ci_low,
            "ci_high": m.ci_high,
            "tasks": len(m.results),
            "children": counts.get(m.id, 0),
            "edits": m.edits,
            "selection_rule": m.selection_rule,
            "hash": m.content_hash[:12],
            "reason": m.reason,
            "holdout_score": m.holdout_score,
        }
        for m in members
    ]


def ranking(archive: Archive, bootstrap: int = 500, seed: int = 0) -> dict[str, Any] | None:
    """SCO and Schulze with CIs over tasks, and the mean, for the fully evaluated members (None
    with fewer than two)."""
    evaluated = [m for m in archive.members() if m.state == MemberState.EVALUATED]
    if len(evaluated) < 2:
        return None
    scores = normalised_scores(evaluated)
    rows = [
        {
            "agent": label(m),
            "task": task,
            "score": value,
            "direction": "maximize",
            "valid": math.isfinite(value),
        }
        for m in evaluated
        for task, value in scores[m.id].items()
    ]
    try:
        report = rank_table(pd.DataFrame(rows), method=RANK_METHODS, bootstrap=bootstrap, seed=seed)
    except AirlabError as exc:
        return {"error": str(exc)}
    data = report.to_json()
    data["mean"] = [
        {"agent": label(m), "score": m.score, "ci_low": m.ci_low, "ci_high": m.ci_high}
        for m in sorted(evaluated, key=lambda m: -(m.score or 0.0))
    ]
    return data


def write_summary(archive: Archive, folder: Path) -> dict[str, Any] | None:
    data = ranking(archive)
    if data is not None:
        (folder / RANKING_FILE).write_text(json.dumps(data, indent=2) + "\n")
    return data
