"""One validated configuration object per run: loadable from YAML, overridable from the CLI,
recorded in the run folder and the journal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from airlab.errors import ConfigError
from airlab.params import describe_error
from airlab.plans.settings import JudgeSettings
from airlab.yamlfile import read_yaml_mapping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DEFAULT_STEPS = 20
"""The step budget of a run that names no budget at all."""


class Budget(_Strict):
    """When the search stops proposing. Any limit reached ends it; None means unlimited.

    `steps` left out defaults to 20 only when no other limit is given: a budget in time, tokens
    or money alone leaves the steps unbounded, so that the limit the user named is the one that
    binds (`--time 10m` runs for ten minutes, not for 20 steps).
    """

    steps: int | None = Field(None, ge=1)
    """Candidates proposed (each becomes one node)."""
    time_s: float | None = Field(None, gt=0)
    """Wall-clock seconds of search, summed over resumed sessions."""
    tokens: int | None = Field(None, ge=1)
    cost_usd: float | None = Field(None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _default_steps(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" not in data:
            others = any(data.get(k) is not None for k in ("time_s", "tokens", "cost_usd"))
            if not others:
                return {**data, "steps": DEFAULT_STEPS}
        return data


class LimitsOverride(_Strict):
    """Per-candidate limits; unset fields take the task's own."""

    time_s: float | None = Field(None, gt=0)
    memory_mb: int | None = Field(None, gt=0)
    cpus: int | None = Field(None, ge=1)
    gpus: int | None = Field(None, ge=0)
    """GPUs per candidate (the Ray pool requests them from the cluster)."""
    limit_address_space: bool = True
    """RLIMIT_AS on the candidate; never set for GPU candidates (it breaks CUDA)."""


class Selection(_Strict):
    """How the final node is chosen once the search ends."""

    fitness: Literal["hidden", "self_reported"] = "hidden"
    """What the policy optimises: the hidden search score, or the score a solution prints about
    itself (the setting of earlier agents such as AIDE)."""
    runtime_weight: float = Field(0.0, le=0.0, ge=-1.0)
    """Runtime-aware fitness (MARS): policies see the fitness times (t/L)^w, t the node's
    runtime, L the per-candidate time limit, w this weight (MARS uses -0.07; 0: off). Search
    only: recorded scores and the final choice on `select` stay raw."""
    top_k: int = Field(5, ge=1)
    """With hidden fitness: the best `top_k` nodes by search score are compared on `select`."""
    ensemble: bool = False
    """At the end of the search, before the choice: mix the valid nodes' predictions into a
    soup of category experts (weights on `search`, see `airlab.ensemble`), recorded as one more
    node that the choice compares on `select` like any other."""
    score_all_nodes: bool = False
    """After the choice, also score every good node on `test` (for analysis only)."""


class LessonsSettings(_Strict):
    """A lessons store shared across runs (`--lessons PATH`, see docs/lessons.md)."""

    path: Path
    """The SQLite file; created when missing."""
    mode: Literal["read", "write", "both"] = "both"
    """read: its lessons enter the run's prompts; write: the run adds its own when it ends."""
    top_k: int = Field(5, ge=1, le=50)
    """Lessons retrieved into the run."""


class RunConfig(_Strict):
    task: str
    policy: str = "greedy"
    policy_params: dict[str, Any] = Field(default_factory=dict)
    operators: str = "aide"
    operator_options: dict[str, Any] = Field(default_factory=dict)
    """Passed to every operator (e.g. mode=react, memory=false, diversity=false)."""
    backend: str = "templates"
    backend_options: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)
    """Purpose (draft, improve, debug, crossover, analysis, choose, ideate, react, lessons,
    judge, critique) → its own `provider/model`; purposes not named use `backend`."""
    model_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Purpose → backend options of its model (e.g. `{analysis: {temperature: 0}}`), over
    `backend_options`."""
    budget: Budget = Field(default_factory=Budget)
    workers: int = Field(1, ge=1)
    """Candidates executing at once."""
    llm_concurrency: int | None = Field(None, ge=1)
    """Model calls in flight at once (writes, analyses); None: adapt to the observed latencies,
    from 2 × workers up to what keeps every worker fed (see `runner/scheduling.py`)."""
    lookahead: bool = True
    """Propose and write the next candidates while others run, so workers never wait for a
    model; False: propose only when a worker is free, so that every step sees every earlier
    result (the order of steps is then independent of timing, at the cost of idle workers)."""
    preflight: bool = True
    """One cheap model call before the first step, so a refused key stops the run at once."""
    max_backend_failures: int = Field(3, ge=1)
    """Fatal backend failures in a row (refused key, unknown model, no server) that stop a run."""
    pool: str = "local"
    pool_options: dict[str, Any] = Field(default_factory=dict)
    """Pool settings, e.g. `{address: auto}` for the Ray pool."""
    sandbox: str = "auto"
    seed: int = 0
    limits: LimitsOverride = Field(default_factory=LimitsOverride)
    selection: Selection = Field(default_factory=Selection)
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    """Plan and revision tasks: which judge grades the candidates (see docs/plans.md)."""
    runs_dir: Path = Path("runs")
    run_name: str | None = None
    lessons: LessonsSettings | None = None
    """Lessons across tasks: retrieved when the run starts, written when it ends."""
    agent: str | None = None
    """Label of this agent in cross-task rankings (`--label`); defaults to the agent folder's
    name (`--agent`), else `policy/backend`."""

    @property
    def agent_label(self) -> str:
        return self.agent or f"{self.policy}/{self.backend}"

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def load_config(
    data: dict[str, Any], source: str = "config", flags: Mapping[str, str] | None = None
) -> RunConfig:
    """`flags`: dotted field → the command-line option that set it, so that an error names the
    option the user typed (`--steps`) instead of the field (`budget.steps`)."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(source, exc, RunConfig, flags=flags)) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """A run configuration file's fields (validated by `load_config`)."""
    return read_yaml_mapping(path, ConfigError)


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge CLI overrides into a config mapping (None values are ignored)."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict):
            nested = merge(merged.get(key) or {}, value)
            if nested:
                merged[key] = nested
        else:
            merged[key] = value
    return merged
