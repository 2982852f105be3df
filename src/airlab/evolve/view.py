"""`airlab evolve view`: the archive as a tree in one self-contained HTML file.

Built like a run's view (`airlab.report`): this module decides what every member shows (score and
CI over the archive, state, the fields and prompts its child edit changed, the diff from its
parent) as JSON-ready data; the page only draws it, with the run view's styles, inlining and diff
highlighting, and the run tree's layout.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from airlab.evolve.archive import Archive, EvolveSettings, Member, MemberState
from airlab.evolve.evaluate import aggregate, normalised_scores
from airlab.evolve.loop import best_member
from airlab.report.highlight import diff_stats, highlight_css, highlight_diff, unified_diff
from airlab.report.page import asset, embed_json
from airlab.report.viewmodel import tree_layout

VIEW_FILE = "archive.html"
_SHOWN = 60
"""Characters of a changed value shown in a member's list of changes."""


@dataclass(frozen=True)
class _TreeNode:
    """What the run tree's layout reads of a node: its id and its parents."""

    id: int
    parent_ids: list[int]


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What a child changed, one line each: YAML fields as `file: a.b.c old → new`, any other
    file as `file (+added −removed)`."""
    lines: list[str] = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None or new is None:
            lines.append(f"{path} {'added' if old is None else 'removed'}")
            continue
        fields = _yaml_changes(old, new) if path.endswith(".yaml") else None
        if fields is None:
            added, removed = diff_stats(unified_diff(old, new, old_name="a", new_name="b"))
            lines.append(f"{path} (+{added} −{removed})")
        else:
            lines.extend(f"{path}: {line}" for line in fields)
    return lines


def _yaml_changes(old: str, new: str) -> list[str] | None:
    try:
        before, after = yaml.safe_load(old), yaml.safe_load(new)
    except yaml.YAMLError:
        return None
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    out: list[str] = []
    _walk(before, after, "", out)
    return out or ["comments or layout only"]


_MISSING = object()


def _walk(before: Any, after: Any, prefix: str, out: list[str]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            name = f"{prefix}.{key}" if prefix else str(key)
            _walk(before.get(key, _MISSING), after.get(key, _MISSING), name, out)
    elif before != after:
        out.append(f"{prefix} {_short(before)} → {_short(after)}")


def _short(value: Any) -> str:
    text = "(unset)" if value is _MISSING else yaml.safe_dump(value, default_flow_style=True)
    text = " ".join(text.replace("...", "").split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def archive_view(members: list[Member], settings: EvolveSettings | None) -> dict[str, Any]:
    """The page's data: one node per member, the parent → child edges, the archive's facts."""
    by_id = {m.id: m for m in members}
    scored = [m for m in members if m.results]
    scores = normalised_scores(scored)
    seed = settings.seed if settings else 0
    stats = {m.id: aggregate(scores[m.id], seed=seed) for m in scored}
    evaluated = [m for m in members if m.state == MemberState.EVALUATED]
    best = best_member(evaluated).id if evaluated else None
    means = [s[0] for s in stats.values() if not math.isnan(s[0])]
    low, high = (min(means), max(means)) if means else (0.0, 0.0)
    layout = tree_layout(
        cast(
            "list[Any]",
            [_TreeNode(m.id, [m.parent] if m.parent in by_id else []) for m in members],
        )
    )
    nodes = []
    for m in members:
        mean, ci_low, ci_high = stats.get(m.id, (math.nan, math.nan, math.nan))
        parent = by_id.get(m.parent) if m.parent is not None else None
        patch = m.patch if parent is not None else ""
        added, removed = diff_stats(patch)
        nodes.append(
            {
                "id": m.id,
                "generation": m.generation,
                "parent": m.parent,
                "state": m.state.value,
                "valid": m.valid,
                "reason": m.reason,
                "score": _finite(mean),
                "ci_low": _finite(ci_low),
                "ci_high": _finite(ci_high),
                "rank": None if math.isnan(mean) else (mean - low) / (high - low or 1.0),
                "tasks": {t: round(v, 4) for t, v in (scores.get(m.id) or {}).items()},
                "holdout_score": m.holdout_score,
                "changes": changes(parent.files, m.files) if parent is not None else [],
                "diff_html": highlight_diff(patch),
                "diff_added": added,
                "diff_removed": removed,
                "selection_rule": m.selection_rule,
                "meta_backend": m.meta_backend,
                "meta_answer": m.meta_answer,
                "hash": m.content_hash[:12],
                "is_best": m.id == best,
                "x": layout[m.id]["x"],
                "depth": m.generation,
            }
        )
    counts = {state.value: sum(m.state == state for m in members) for state in MemberState}
    return {
        "archive": {
            "agent": settings.agent if settings else "",
            "tasks": settings.tasks if settings else [],
            "generations": settings.generations if settings else 0,
            "children": settings.children if settings else 0,
            "meta_backend": settings.meta_backend if settings else "",
            "counts": {k: v for k, v in counts.items() if v},
            "best": best,
        },
        "nodes": nodes,
        "edges": [{"source": m.parent, "target": m.id} for m in members if m.parent in by_id],
        "states": [s.value for s in MemberState],
    }


def render_archive(members: list[Member], settings: EvolveSettings | None, title: str) -> str:
    """The archive's page as a complete HTML document (styles, script and data inlined)."""
    page = asset("archive.html")
    replacements = {
        "__AIRLAB_TITLE__": html.escape(title),
        "/*__AIRLAB_CSS__*/": asset("view.css"),
        "/*__AIRLAB_CODE_CSS__*/": highlight_css(),
        "/*__AIRLAB_JS__*/": asset("archive.js"),
        "__AIRLAB_DATA__": embed_json(archive_view(members, settings)),
    }
    for marker, text in replacements.items():
        page = page.replace(marker, text, 1)
    return page


def write_archive_view(folder: Path, out: Path | None = None) -> Path:
    """Write `FOLDER/archive.html` (or `out`) from the archive in `folder`; its path."""
    folder = Path(folder)
    with Archive.open(folder) as archive:
        members, settings = archive.members(), archive.settings()
    target = Path(out) if out is not None else folder / VIEW_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_archive(members, settings, f"evolve · {folder.name}"))
    return target
