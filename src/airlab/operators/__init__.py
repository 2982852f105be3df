"""Operators and the named operator sets a run can use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlab.errors import ConfigError
from airlab.operators.base import Crossover, Debug, Draft, Improve, Operator, OperatorContext
from airlab.operators.prompting import PromptSettings
from airlab.operators.react import ReactSettings
from airlab.operators.sets import OPERATOR_SETS, OperatorSet
from airlab.registry import Registry

OPERATORS: Registry[Operator] = Registry("operator")
for _operator in (Draft(), Improve(), Debug(), Crossover()):
    OPERATORS.register(_operator.name, _operator)


MODES = ("single", "react")
"""How a chat model writes a candidate: one prompt and answer, or a multi-turn ReAct episode."""


def check_operator_options(options: Mapping[str, Any]) -> None:
    """Fail at run creation, in one line, on a bad value of an option operators read.
    Other keys are left alone: operator sets and policies may read their own."""
    mode = options.get("mode", "single")
    if mode not in MODES:
        raise ConfigError(
            f"operator option 'mode': expected one of {', '.join(MODES)}, got {mode!r}"
        )
    PromptSettings.from_options(options)
    ReactSettings.from_options(options)


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
    "OperatorSet",
    "check_operator_options",
]
