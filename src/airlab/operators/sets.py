"""Named operator sets: which operators a run may use, and the cues they get.

aira-dojo showed that the pairing of policy and operator set matters, so a set is chosen per run
(`--operators NAME`) and recorded in the journal. A set's `options` reach every operator as
`OperatorContext.options` (program writers get them as `WriteRequest.options`); the run's own
operator options (`-O key=value`) override them:
- `memory`: use what earlier nodes taught (LLM prompts show earlier plans and scores; the templates
  backend repeats neither a solution already tried nor an improvement move that made things worse);
- `diversity`: draft approaches unlike those already in the run (LLM prompts ask for it; the
  templates backend drafts the model family used least so far, over every node).
The `aide` set sets no cue, so each backend keeps its own default: LLM prompts show memory and
ask for diversity (as AIDE's prompts do); the templates backend uses neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airlab.operators.options import OperatorOptions, parse_operator_options
from airlab.registry import Registry


@dataclass(frozen=True)
class OperatorSet:
    name: str
    operators: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        parse_operator_options(self.options)  # a set with a bad cue fails where it is defined

    def to_dict(self) -> dict[str, Any]:
        """As recorded in the journal's run metadata."""
        return {"name": self.name, "operators": list(self.operators), "options": self.options}


OPERATOR_SETS: Registry[OperatorSet] = Registry(
    "operator set", noun="operator option", group="airlab.operator_sets"
)
for _set in (
    OperatorSet(
        "aide",
        ("draft", "improve", "debug"),
        description="AIDE's operators: draft, improve, debug",
    ),
    OperatorSet(
        "extended",
        ("draft", "improve", "debug", "crossover"),
        {"memory": True, "diversity": True},
        description="AIDE's operators plus crossover, with memory and diversity cues",
    ),
):
    OPERATOR_SETS.register(_set.name, _set, params=OperatorOptions)


def operator_options(set_name: str, raw: Mapping[str, Any] | None = None) -> OperatorOptions:
    """The set's cues overridden by the run's own options (`-O`), validated once; an unknown key
    fails in one line with a "did you mean"."""
    cues = OPERATOR_SETS.get(set_name).options
    merged = {**cues, **dict(raw or {})}
    return OPERATOR_SETS.parse_params(set_name, merged, owner="")  # type: ignore[return-value]
