"""Named operator sets: which operators a run may use, and the cues they get.

aira-dojo showed that the pairing of policy and operator set matters, so a set is chosen per run
(`--operators NAME`) and recorded in the journal. A set's `options` reach every operator as
`OperatorContext.options` (and program writers as `WriteRequest.options`):
- `memory`: use what earlier nodes taught (plans and scores of earlier nodes; the templates backend
  does not repeat a solution already tried nor an improvement move that made things worse);
- `diversity`: draft approaches unlike those already in the run (the templates backend drafts the
  model family used least so far, over every node).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airlab.registry import Registry


@dataclass(frozen=True)
class OperatorSet:
    name: str
    operators: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """As recorded in the journal's run metadata."""
        return {"name": self.name, "operators": list(self.operators), "options": self.options}


OPERATOR_SETS: Registry[OperatorSet] = Registry("operator set")
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
    OPERATOR_SETS.register(_set.name, _set)
