"""Memory of earlier attempts for the prompts: plans, scores and failures, bounded in size.

The best and the most recent attempts are listed one line each; the rest are summarised by
approach family and failure kind, so a long search still fits the prompt. Nodes come from the
policy's view of the journal, so hidden select/test scores are never here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from airlab.journal.node import Node

BEST_SHOWN = 4
RECENT_SHOWN = 8
_RUN_PATHS = re.compile(r"(?:/[^\s'\"]*)?/(?:nodes/\d{4}|react/\d{4}/work)/")


def scrub_paths(text: str) -> str:
    """Drop run-folder paths from outputs, so prompts do not depend on where the run lives."""
    return _RUN_PATHS.sub("", text)


def summary_of_plan(plan: str, limit: int = 160) -> str:
    lines = [
        line for line in plan.splitlines() if not line.lower().lstrip("* ").startswith("family")
    ]
    text = " ".join(" ".join(lines).split())
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


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


def attempt_line(node: Node) -> str:
    parents = f" of #{', #'.join(map(str, node.parent_ids))}" if node.parent_ids else ""
    family = node.meta.get("family")
    tag = f" [{family}]" if family else ""
    plan = summary_of_plan(node.plan)
    line = f"- #{node.id} {node.operator}{parents}{tag}: {plan} → {outcome_text(node)}"
    analysis = node.meta.get("analysis")
    if analysis:
        line += f"\n  analysis: {summary_of_plan(analysis, 240)}"
    return line


def render_memory(history: Sequence[Node], *, maximize: bool, max_chars: int = 4000) -> str:
    """Earlier attempts as text of at most `max_chars` (empty when there are none)."""
    finished = [n for n in history if n.status.finished]
    if not finished:
        return ""
    sign = 1.0 if maximize else -1.0
    good = sorted(
        (n for n in finished if n.is_good and n.search_score is not None),
        key=lambda n: -sign * (n.search_score or 0.0),
    )
    shown_ids = {n.id for n in good[:BEST_SHOWN]} | {n.id for n in finished[-RECENT_SHOWN:]}
    shown = [n for n in finished if n.id in shown_ids]
    hidden = [n for n in finished if n.id not in shown_ids]
    header = f"{len(finished)} attempts so far"
    if good:
        header += f"; best score {good[0].search_score:.5g} (#{good[0].id})"
    summary = _summarise(hidden)
    lines = [attempt_line(n) for n in shown]
    while lines and len("\n".join([header, *lines, summary])) > max_chars:
        lines.pop(0)
    text = "\n".join(part for part in [header + ":", *lines, summary] if part)
    return text[:max_chars]


def _summarise(nodes: Sequence[Node]) -> str:
    if not nodes:
        return ""
    families = Counter(str(n.meta.get("family", "unknown")) for n in nodes if n.is_good)
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
