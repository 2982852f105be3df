"""Operators and the named operator sets a run can use."""

from __future__ import annotations

from typing import get_args

from airlab.operators.base import Crossover, Debug, Draft, Improve, Operator, OperatorContext
from airlab.operators.options import Mode, OperatorOptions, parse_operator_options
from airlab.operators.sets import OPERATOR_SETS, OperatorSet, operator_options
from airlab.registry import Registry

OPERATORS: Registry[Operator] = Registry("operator")
for _operator in (Draft(), Improve(), Debug(), Crossover()):
    OPERATORS.register(_operator.name, _operator)


MODES: tuple[str, ...] = get_args(Mode)
"""How a chat model writes a candidate: one prompt and answer, or a multi-turn ReAct episode."""


__all__ = [
    "MODES",
    "OPERATORS",
    "OPERATOR_SETS",
    "Crossover",
    "Debug",
    "Draft",
    "Improve",
    "Operator",
    "OperatorContext",
    "OperatorOptions",
    "OperatorSet",
    "operator_options",
    "parse_operator_options",
]
