"""How an improve or debug step wrote its code under `edit_format=diff`, as its node records it.

A diff step asks for SEARCH/REPLACE blocks against the parent. Either they applied, or the step
fell back to a whole script (the reason kept), or the model answered with a whole script on its
own. Reports count these per node (`edit_counts`) for the patch-apply rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EditFormat = Literal["whole", "diff"]


class EditOutcome(StrEnum):
    """What became of a diff step's answer."""

    APPLIED = "applied"
    """Every block applied to the parent; the result is the candidate."""
    FELL_BACK = "fell_back"
    """The blocks did not apply (`reason`); a second answer, a whole script, is the candidate."""
    WHOLE_ANSWER = "whole_answer"
    """The model wrote a whole script instead of blocks; it is the candidate, no second call."""


class PatchFailure(StrEnum):
    """Why blocks did not apply."""

    NO_BLOCKS = "no_blocks"
    """The answer holds no SEARCH/REPLACE block (and no usable whole script)."""
    MALFORMED = "malformed"
    """A block lacks its `=======` or `>>>>>>> REPLACE` line."""
    EMPTY_SEARCH = "empty_search"
    """A block's SEARCH part is empty: it says nothing about where the change goes."""
    NOT_FOUND = "not_found"
    """A block's SEARCH text is not in the code, even ignoring whitespace."""
    AMBIGUOUS = "ambiguous"
    """A block's SEARCH text occurs more than once."""
    TRUNCATED = "truncated"
    """The answer was cut off at the output token limit."""
    BREAKS_SYNTAX = "breaks_syntax"
    """The blocks applied but the result does not compile."""


class EditRecord(BaseModel):
    """`Node.meta["edit"]`: a diff step's outcome."""

    model_config = ConfigDict(frozen=True)

    outcome: EditOutcome
    reason: PatchFailure | None = None
    """Why the blocks did not apply (FELL_BACK, and WHOLE_ANSWER's `no_blocks`)."""
    detail: str = ""
    """One line: which block and what was wrong with it."""
    blocks: int = 0
    """How many blocks the answer held."""
    fuzzy: bool = False
    """Some block matched only ignoring whitespace (trailing spaces, indentation, CRLF)."""

    def to_meta(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True) | {"outcome": self.outcome.value}


@dataclass(frozen=True)
class EditCounts:
    """Diff steps of some nodes by outcome."""

    applied: int = 0
    fell_back: int = 0
    whole_answer: int = 0

    @property
    def steps(self) -> int:
        return self.applied + self.fell_back + self.whole_answer

    def as_dict(self) -> dict[str, int]:
        """Outcome → steps, {} when there were no diff steps (`result.json`'s `edits`)."""
        return {} if not self.steps else {o.value: getattr(self, o.value) for o in EditOutcome}


def edit_counts(metas: Iterable[dict[str, Any]]) -> EditCounts:
    """The diff steps among nodes' `meta` mappings, counted by outcome."""
    counts = {outcome: 0 for outcome in EditOutcome}
    for meta in metas:
        edit = meta.get("edit")
        if isinstance(edit, dict):
            counts[EditRecord.model_validate(edit).outcome] += 1
    return EditCounts(*(counts[outcome] for outcome in EditOutcome))
