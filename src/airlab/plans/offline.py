"""The offline judge: a deterministic test double that decides items by keyword overlap.

It keeps the main job and the tests offline and reproducible; it is no substitute for a model
judge. An item is satisfied when enough of its key terms (content words, crudely stemmed) occur
in the text. Its justification names the terms found and missing, never the item's sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from airlab.plans.rubric import Leaf, Verdict

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "each",
        "for",
        "from",
        "has",
        "have",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "more",
        "most",
        "not",
        "of",
        "on",
        "one",
        "or",
        "over",
        "own",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "under",
        "up",
        "use",
        "uses",
        "using",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "within",
        "without",
        "would",
        "plan",
        "plans",
        "study",
        "include",
        "includes",
        "including",
        "show",
        "shows",
        "name",
        "names",
        "keep",
        "keeps",
        "need",
        "needs",
        "needed",
        "separately",
    ]
)
"""Words that say nothing about what an item asks (the rubric's boilerplate included)."""


def stem(word: str) -> str:
    """A crude stem, enough to match `seeds`/`seed`, `reports`/`reported`/`reporting`."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def key_terms(text: str) -> list[str]:
    """The stemmed content words of `text`, in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) >= 3 and word not in STOPWORDS:
            seen.setdefault(stem(word), None)
    return list(seen)


class OfflineJudge:
    """Decides each item by the share of its key terms present in the text: satisfied (1.0) at
    `threshold` or more; below it, partial credit in quarters of the way there (`partial`, on
    by default), so that an offline search gets a gradient from items it half meets instead of
    a flat 0 until a plan happens to cross the threshold. `partial=False` gives plain 0/1.

    Deterministic and free: the same text and items always give the same verdicts. The goal
    (`context`) is not counted, so restating the goal does not satisfy an item by itself."""

    name = "offline"

    def __init__(self, threshold: float = 0.5, *, partial: bool = True) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.partial = partial

    def credit(self, share: float) -> float:
        """An item's value from the share of its key terms present."""
        if share >= self.threshold:
            return 1.0
        return math.floor(4 * share / self.threshold) / 4 if self.partial else 0.0

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        present = set(key_terms(text))
        verdicts = []
        for leaf in leaves:
            terms = key_terms(leaf.text)
            found = [t for t in terms if t in present]
            share = len(found) / len(terms) if terms else 1.0
            missing = [t for t in terms if t not in present]
            why = f"{len(found)} of {len(terms)} key terms present"
            if missing:
                why += f"; missing: {', '.join(missing[:6])}"
            verdicts.append(Verdict(item_id=leaf.id, value=self.credit(share), justification=why))
        return verdicts
