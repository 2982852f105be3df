"""Operators and the named operator sets a run can use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from airlab.operators.base import Crossover, Debug, Draft, Improve, Operator, OperatorContext
from airlab.operators.options import Mode, OperatorOptions, parse_operator_options
from airlab.operators.sets import OPERATOR_SETS, OperatorSet, operator_options
from airlab.registry import Registry

OPERATORS: Registry[Operator] = Registry("operator")
for _operator in (Draft(), Improve(), Debug(), Crossover()):
    OPERATORS.register(_operator.name, _operator)


MODES: tuple[str, ...] = get_args(Mode)
"""How a chat model writes a candidate: one prompt and answer, or a multi-turn ReAct episode."""


def check_operator_options(options: Mapping[str, Any]) -> None:
    """Fail in one line on an unknown or badly typed operator option (see `OperatorOptions`).
    Kept for callers of the old name; `operator_options(set_name, raw)` also merges a set's cues."""
    parse_operator_options(options)


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
    "check_operator_options",
    "operator_options",
    "parse_operator_options",
]
