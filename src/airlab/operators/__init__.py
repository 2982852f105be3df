"""Operators and the named operator sets a run can use."""

from __future__ import annotations

from airlab.operators.base import Crossover, Debug, Draft, Improve, Operator, OperatorContext
from airlab.operators.sets import OPERATOR_SETS, OperatorSet
from airlab.registry import Registry

OPERATORS: Registry[Operator] = Registry("operator")
for _operator in (Draft(), Improve(), Debug(), Crossover()):
    OPERATORS.register(_operator.name, _operator)


__all__ = [
    "OPERATORS",
    "OPERATOR_SETS",
    "Crossover",
    "Debug",
    "Draft",
    "Improve",
    "Operator",
    "OperatorContext",
    "OperatorSet",
]
