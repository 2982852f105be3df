"""Search policies, registered by name."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from airlab.backends.base import Backend
from airlab.errors import ConfigError
from airlab.policies.base import POLICY_META, Policy, PolicyParams, Step
from airlab.policies.evolutionary import Evolutionary, EvolutionaryParams
from airlab.policies.greedy import Greedy, GreedyParams
from airlab.policies.llm_first import LLMFirst, LLMFirstParams
from airlab.policies.mcts import MCTS, MCTSParams
from airlab.registry import Registry

POLICIES: Registry[type[Policy]] = Registry("policy")
for _policy in (Greedy, MCTS, Evolutionary, LLMFirst):
    POLICIES.register(_policy.name, _policy)


def make_policy(
    name: str,
    params: dict[str, Any],
    operators: tuple[str, ...],
    backend: Backend | None = None,
) -> Policy:
    """Build a policy with validated parameters; bad ones give a one-line ConfigError.

    `backend` is the run's backend, for policies that consult it (LLM-first search)."""
    cls = POLICIES.get(name)
    try:
        validated = cls.Params.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            known = ", ".join(cls.Params.model_fields)
            raise ConfigError(
                f"policy {name!r}: unknown parameter {field!r} (known: {known})"
            ) from None
        raise ConfigError(f"policy {name!r}: parameter {field!r}: {first['msg']}") from None
    return cls(validated, operators, backend)


__all__ = [
    "MCTS",
    "POLICIES",
    "POLICY_META",
    "Evolutionary",
    "EvolutionaryParams",
    "Greedy",
    "GreedyParams",
    "LLMFirst",
    "LLMFirstParams",
    "MCTSParams",
    "Policy",
    "PolicyParams",
    "Step",
    "make_policy",
]
