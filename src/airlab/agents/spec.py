"""`agent.yaml`: what an agent is, as one validated model (schema 1).

An agent is what a researcher hands a colleague: the search policy and its parameters, the
operator set and its options, the model for each purpose, the budget of one task and what the
search optimises. Where it runs (task, workers, seed, pool, sandbox, limits) belongs to the run,
not to the agent.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airlab.runner.config import Budget

SCHEMA_VERSION: Final = 1
DEFAULT_MODEL = "default"
"""The key of `models` that names the model of every purpose not named on its own."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class PolicySpec(_Strict):
    name: str = "greedy"
    """A registered search policy (`greedy`, `mcts`, `evolutionary`, `llm_first`)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The policy's parameters (its defaults for those not named)."""


class OperatorsSpec(_Strict):
    set: str = "aide"
    """A registered operator set (`aide`, `extended`)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Operator options over the set's own cues (memory, diversity, mode, ...)."""


class ModelSpec(_Strict):
    """One purpose's model: `provider/model` (or `templates`), and its backend options. A bare
    string is the backend alone."""

    backend: str | None = None
    """None: the default model (for `default` itself: `templates`)."""
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"backend": value} if isinstance(value, str) else value


class AgentSpec(_Strict):
    """The content of `agent.yaml`."""

    schema_: Literal[1] = Field(SCHEMA_VERSION, alias="schema")
    """The version of this format."""
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The agent's label in run folders, results and rankings."""
    description: str = ""
    policy: PolicySpec = Field(default_factory=PolicySpec)
    operators: OperatorsSpec = Field(default_factory=OperatorsSpec)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    """Purpose (`default`, draft, improve, debug, crossover, analysis, choose, ideate, react)
    → model."""
    budget: Budget | None = None
    """The budget of one run (one task); fields not named take the run's defaults."""
    fitness: Literal["hidden", "self_reported"] = "hidden"
    """What the search optimises: the hidden search score, or the score a solution reports."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def run_fields(self) -> dict[str, Any]:
        """The agent as fields of a run configuration (only what it sets)."""
        default = self.models.get(DEFAULT_MODEL, ModelSpec())
        purposes = {k: v for k, v in self.models.items() if k != DEFAULT_MODEL}
        fields: dict[str, Any] = {
            "agent": self.name,
            "policy": self.policy.name,
            "policy_params": dict(self.policy.params),
            "operators": self.operators.set,
            "operator_options": dict(self.operators.options),
            "backend": default.backend or "templates",
            "backend_options": dict(default.options),
            "models": {k: v.backend for k, v in purposes.items() if v.backend},
            "model_options": {k: dict(v.options) for k, v in purposes.items() if v.options},
            "selection": {"fitness": self.fitness},
        }
        if self.budget is not None:
            fields["budget"] = self.budget.model_dump(exclude_unset=True)
        return fields
