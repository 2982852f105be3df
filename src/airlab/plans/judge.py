"""What every rubric judge is: decide each item of a rubric for one text.

Implementations (the offline test double, the LLM judge, a jury of judges) live beside this
protocol; callers (grading, extraction's self-check, faithfulness, rubric discovery) depend only
on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from airlab.plans.rubric import Leaf, Verdict


class Judge(Protocol):
    """Decides rubric items for a text. One `Verdict` per leaf, in the order given; a leaf the
    judge could not decide gets a verdict with `failure` set, never a guessed value."""

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        """`text`: the candidate (a plan, a revised paper); `context`: what it answers (the
        goal), shown to the judge but not part of what is graded."""
        ...


# The implementations, importable from here (they do not import this module).
from airlab.plans.jury import Jury  # noqa: E402
from airlab.plans.llm_judge import LLMJudge  # noqa: E402
from airlab.plans.offline import OfflineJudge  # noqa: E402

__all__ = ["Judge", "Jury", "LLMJudge", "OfflineJudge"]
