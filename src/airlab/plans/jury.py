"""A jury: several judges decide the same items, one rule turns their verdicts into one.

`mean`: the mean of the judges' values (a share in [0, 1]); `majority`: 1 when more than half of
the judges that decided the item said satisfied (a value >= 0.5), 0 when fewer, 0.5 on a tie. A
judge's failure on an item is left out of that item's aggregate; an item no judge decided keeps
the first judge's failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from airlab.plans.rubric import Leaf, Verdict

if TYPE_CHECKING:
    from airlab.plans.judge import Judge

JuryRule = Literal["mean", "majority"]
JURY_RULES: tuple[JuryRule, ...] = ("mean", "majority")


def aggregate(item_id: str, verdicts: Sequence[Verdict], rule: JuryRule) -> Verdict:
    """One item's verdicts from several judges, by `rule`."""
    decided = [v for v in verdicts if v.value is not None]
    if not decided:
        return verdicts[0]
    values = [v.value for v in decided if v.value is not None]
    if rule == "mean":
        value = sum(values) / len(values)
    elif rule == "majority":
        yes = sum(1 for v in values if v >= 0.5)
        no = len(values) - yes
        value = 1.0 if yes > no else 0.0 if no > yes else 0.5
    else:
        raise ValueError(f"unknown jury rule {rule!r}; one of {', '.join(JURY_RULES)}")
    failed = len(verdicts) - len(decided)
    parts = [
        f"judge {n}: {v.justification}" for n, v in enumerate(verdicts, 1) if v.value is not None
    ]
    why = "; ".join(parts) + (f"; {failed} judge(s) failed" if failed else "")
    return Verdict(item_id=item_id, value=value, justification=why[:1000])


class Jury:
    """Several judges and the rule that aggregates them (a `Judge` itself)."""

    def __init__(self, judges: Sequence[Judge], rule: JuryRule = "mean") -> None:
        if not judges:
            raise ValueError("a jury needs at least one judge")
        if rule not in JURY_RULES:
            raise ValueError(f"unknown jury rule {rule!r}; one of {', '.join(JURY_RULES)}")
        self.judges = list(judges)
        self.rule: JuryRule = rule
        self.name = f"jury({rule}: {', '.join(getattr(j, 'name', '?') for j in self.judges)})"

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        each = [j.judge(text, leaves, context=context) for j in self.judges]
        return [
            aggregate(leaf.id, [verdicts[i] for verdicts in each], self.rule)
            for i, leaf in enumerate(leaves)
        ]
