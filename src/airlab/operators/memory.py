"""Memory of earlier attempts for the prompts: plans, scores, changes and failures, bounded.

The best and the most recent attempts are listed one entry each; the rest are summarised by
approach family and failure kind, so a long search still fits the prompt. Nodes come through
`agent_view` (see `OperatorContext`), so hidden scores the agent may not see are never here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from airlab.journal.node import Node
from airlab.journal.tree import visible_score
from airlab.operators.changes import change_summary
from airlab.result import UNCLASSIFIED_FAMILY

BEST_SHOWN = 4
RECENT_SHOWN = 8
PLAN_CHARS = 300
ANALYSIS_CHARS = 240
CHANGE_CHARS = 160
CHANGE_OPERATORS = ("improve", "debug")
_RUN_PATHS = re.compile(r"(?:/[^\s'\"]*)?/(?:nodes/\d{4}|react/\d{4}/work)/")


def scrub_paths(text: str) -> str:
    """Drop run-folder paths from outputs, so prompts do not depend on where the run lives."""
    return _RUN_PATHS.sub("", text)


def summary_of_plan(plan: str, limit: int = PLAN_CHARS) -> str:
    """The plan's first sentences, as many as fit in `limit` characters (family lines dropped)."""
    lines = [
        line for line in plan.splitlines() if not line.lower().lstrip("* ").startswith("family")
    ]
    text = " ".join(" ".join(lines).split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s", text):
        if len(kept) + len(sentence) + 3 > limit:
            break
        kept = f"{kept} {sentence}" if kept else sentence
    return f"{kept} …" if kept else text[: limit - 1] + "…"


def score_text(node: Node) -> str:
    parts = []
    if node.search_score is not None:
        parts.append(f"{node.search_score:.5g}")
    if node.self_reported_score is not None:
        parts.append(f"self-reported {node.self_reported_score:.5g}")
    return ", ".join(parts) or "no score"


def outcome_text(node: Node) -> str:
    if node.is_good:
        return f"score {score_text(node)}"
    if node.status.finished:
        error = scrub_paths(node.error or "")[:160]
        return f"failed ({node.failure or 'error'}{': ' + error if error else ''})"
    return "still running"


def attempt_line(node: Node, by_id: Mapping[int, Node] | None = None) -> str:
    """One attempt: its plan, outcome, the model's analysis and, for an improve or debug whose
    parent is known, what its code changed."""
    parents = f" of #{', #'.join(map(str, node.parent_ids))}" if node.parent_ids else ""
    family = node.info.family
    tag = f" [{family}]" if family else ""
    plan = summary_of_plan(node.plan)
    line = f"- #{node.id} {node.operator}{parents}{tag}: {plan} → {outcome_text(node)}"
    parent = (by_id or {}).get(node.parent_ids[0]) if len(node.parent_ids) == 1 else None
    if node.operator in CHANGE_OPERATORS and parent is not None and parent.code and node.code:
        change = change_summary(parent.code, node.code, CHANGE_CHARS)
        line += f"\n  change: {change or 'none (same code)'}"
    analysis = node.info.analysis
    if analysis:
        line += f"\n  analysis: {summary_of_plan(analysis, ANALYSIS_CHARS)}"
    return line


def render_memory(history: Sequence[Node], *, maximize: bool, max_chars: int = 4000) -> str:
    """Earlier attempts as text of at most `max_chars` (empty when there are none).

    When the lines do not fit, the recent attempts that are not among the best go first (oldest
    first), then the best ones, worst first; whatever goes is counted in the summary line."""
    finished = [n for n in history if n.status.finished]
    if not finished:
        return ""
    sign = 1.0 if maximize else -1.0
    good = sorted(
        (n for n in finished if n.is_good and visible_score(n) is not None),
        key=lambda n: (-sign * (visible_score(n) or 0.0), n.id),
    )
    best = good[:BEST_SHOWN]
    best_ids = {n.id for n in best}
    recent = [n for n in finished[-RECENT_SHOWN:] if n.id not in best_ids]
    by_id = {n.id: n for n in history}
    lines = {n.id: attempt_line(n, by_id) for n in (*best, *recent)}
    drop_order = [n.id for n in recent] + [n.id for n in reversed(best)]
    header = f"{len(finished)} attempts so far"
    if good:
        kind = "score" if good[0].search_score is not None else "self-reported score"
        header += f"; best {kind} {visible_score(good[0]):.5g} (#{good[0].id})"

    def text() -> str:
        hidden = [n for n in finished if n.id not in lines]
        shown = [lines[n.id] for n in finished if n.id in lines]
        return "\n".join(part for part in [header + ":", *shown, _summarise(hidden)] if part)

    rendered = text()
    while len(rendered) > max_chars and drop_order:
        del lines[drop_order.pop(0)]
        rendered = text()
    return rendered[:max_chars]


def _summarise(nodes: Sequence[Node]) -> str:
    if not nodes:
        return ""
    families = Counter(n.info.family or UNCLASSIFIED_FAMILY for n in nodes if n.is_good)
    failures = Counter(n.failure or "error" for n in nodes if not n.is_good)
    parts = [f"{family} ×{count}" for family, count in families.most_common()]
    text = f"- {len(nodes)} older attempts not listed"
    if parts:
        text += f"; working ones by family: {', '.join(parts)}"
    if failures:
        text += "; failures: " + ", ".join(f"{kind} ×{n}" for kind, n in failures.most_common())
    return text


def fix_chain(node: Node, by_id: dict[int, Node]) -> list[Node]:
    """The earlier debug attempts that led to `node`, oldest first (`node` excluded)."""
    chain = []
    current = node
    while current.operator == "debug" and current.parent_ids:
        parent = by_id.get(current.parent_ids[0])
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return list(reversed(chain))
