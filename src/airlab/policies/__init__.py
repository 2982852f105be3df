"""Search policies, registered by name."""

from __future__ import annotations

from typing import Any

from airlab.backends.base import Backend
from airlab.policies.base import POLICY_META, Policy, PolicyParams, Step
from airlab.policies.evolutionary import Evolutionary, EvolutionaryParams
from airlab.policies.greedy import Greedy, GreedyParams
from airlab.policies.llm_first import LLMFirst, LLMFirstParams
from airlab.policies.mcts import MCTS, MCTSParams
from airlab.registry import Registry

POLICIES: Registry[type[Policy]] = Registry("policy", noun="parameter", group="airlab.policies")
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
    validated = POLICIES.parse_params(name, params)
    return cls(validated, operators, backend)  # type: ignore[arg-type]


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
