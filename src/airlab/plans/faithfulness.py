"""Does a revised paper keep to what the original says? A revision may rewrite, reorder, clarify
and cut, but a claim or result the original lacks is an invention, and the revision is rejected.

Two checks, one report:
- offline (always): a number in the revision that the original never states (a new result, a
  new sample size, a new citation year) marks its sentence as added; so does a new sentence
  carrying a claim word (`outperforms`, `state-of-the-art`, ...) that the original never uses;
- with a judge: every sentence of the revision that is not in the original (after normalising
  case, spacing and punctuation) becomes one rubric item, "the original supports this
  statement", decided against the original's text. A sentence the judge says is unsupported is
  added; one it cannot decide is `undecided`, and also makes the revision unfaithful (what
  cannot be checked is not accepted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from airlab.plans.judge import Judge
from airlab.plans.rubric import Leaf

SUPPORT_PREFIX = "The original paper states or directly supports this statement: "
CLAIM_WORDS = (
    "outperform",
    "state-of-the-art",
    "state of the art",
    "significantly",
    "we prove",
    "we show",
    "we demonstrate",
    "surpass",
    "best result",
    "new record",
    "guarantee",
)
MAX_JUDGED = 40
"""New sentences judged at most (the rest get the offline check only)."""
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:\.\d+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[-*#|]|\s*\d+\.)")


class FaithfulnessReport(BaseModel):
    """The verdict on a revision: faithful when nothing was added and nothing is undecided."""

    model_config = ConfigDict(frozen=True)

    faithful: bool
    added: list[str] = Field(default_factory=list)
    """Sentences of the revision that state what the original does not (with why)."""
    undecided: list[str] = Field(default_factory=list)
    """New sentences the judge gave no verdict on."""
    new_sentences: int = 0
    """Sentences of the revision not found in the original (rewrites included)."""


def sentences(text: str) -> list[str]:
    """The text cut into sentences (and list items, headings, table rows)."""
    parts = (part.strip() for part in _SENTENCE.split(text))
    return [part for part in parts if re.search(r"[A-Za-z0-9]", part)]


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s%.-]", " ", text.lower()).split()).strip(" .")


def _number(token: str) -> str:
    """A number in a canonical spelling: `1,000` = `1000`, `0.50` = `0.5`."""
    plain = token.replace(",", "").lstrip("+")
    try:
        value = float(plain)
    except ValueError:
        return plain
    return f"{value:.10g}"


def numbers(text: str) -> set[str]:
    return {_number(token) for token in _NUMBER.findall(text)}


def offline_additions(original: str, revised: str) -> list[str]:
    """Sentences of `revised` with a number, or a claim word, that `original` lacks."""
    known_numbers = numbers(original)
    original_lower = original.lower()
    original_sentences = {_normal(s) for s in sentences(original)}
    added = []
    for sentence in sentences(revised):
        new_numbers = sorted(numbers(sentence) - known_numbers)
        if new_numbers:
            added.append(f"{sentence} [new number: {', '.join(new_numbers)}]")
            continue
        if _normal(sentence) in original_sentences:
            continue
        lower = sentence.lower()
        words = [w for w in CLAIM_WORDS if w in lower and w not in original_lower]
        if words:
            added.append(f"{sentence} [new claim: {', '.join(words)}]")
    return added


def new_sentences(original: str, revised: str) -> list[str]:
    """Sentences of `revised` whose normalised text is not part of the original's."""
    whole = _normal(original)
    return [s for s in sentences(revised) if _normal(s) and _normal(s) not in whole]


def check_faithful(
    original: str, revised: str, judge: Judge | None = None, *, max_judged: int = MAX_JUDGED
) -> FaithfulnessReport:
    """Check `revised` against `original`: the offline check always, the judge's when given."""
    added = offline_additions(original, revised)
    fresh = new_sentences(original, revised)
    undecided: list[str] = []
    if judge is not None and fresh:
        flagged = {entry.split(" [new ", 1)[0] for entry in added}
        to_judge = [s for s in fresh if s not in flagged][:max_judged]
        if to_judge:
            leaves = [
                Leaf(id=str(number), text=SUPPORT_PREFIX + sentence, weight=1.0)
                for number, sentence in enumerate(to_judge, start=1)
            ]
            verdicts = judge.judge(original, leaves, context="Is each statement in the paper?")
            by_id = {verdict.item_id: verdict for verdict in verdicts}
            for leaf, sentence in zip(leaves, to_judge, strict=True):
                verdict = by_id.get(leaf.id)
                if verdict is None or verdict.value is None:
                    undecided.append(sentence)
                elif verdict.value < 0.5:
                    reason = (
                        f" [unsupported: {verdict.justification}]" if verdict.justification else ""
                    )
                    added.append(sentence + reason)
    return FaithfulnessReport(
        faithful=not added and not undecided,
        added=added,
        undecided=undecided,
        new_sentences=len(fresh),
    )


def summary(report: FaithfulnessReport, limit: int = 3) -> str:
    """One line for a node's feedback: why a revision was rejected."""
    if report.faithful:
        return "faithful: no claim or result beyond the original"
    shown: Iterable[str] = (report.added + report.undecided)[:limit]
    more = len(report.added) + len(report.undecided) - limit
    tail = f" (+{more} more)" if more > 0 else ""
    return "unfaithful: adds " + "; ".join(shown) + tail
