"""A hyperagent's `meta/`: the meta agent that edits the agent folder (`airlab evolve`).

`meta/meta.yaml` (schema 1) says which model the meta agent uses, what evidence it reads, how
many edits it makes per child, how parents are drawn from the archive, and whether it may edit
`meta/` itself; `meta/prompts/*.j2` are its prompts, rendered in the same sandbox as the task
agent's, with the evidence as their variables. With self-modification on, everything here,
parent selection included, is part of what the meta agent may change (as in DGM-Hyperagents).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airlab.agents.spec import ModelSpec
from airlab.errors import AirlabError, ConfigError
from airlab.operators.prompt_library import SUFFIX, check_template, sandboxed_environment
from airlab.params import describe_error
from airlab.yamlfile import read_yaml_mapping

META_DIR = "meta"
META_FILE = "meta.yaml"
META_VARIABLES = frozenset(
    {"agent", "scores", "failures", "trajectories", "lineage", "edits", "self_modification"}
)
"""What a meta prompt is given: the agent's files (`agent`: path → text), the evidence its
`evidence` settings ask for, the number of edits to make and whether `meta/` is editable."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Evidence(_Strict):
    """What the meta agent reads about the parent it edits."""

    scores: bool = True
    """Per-task scores of the parent (hidden test score of each run's final node)."""
    failures: bool = True
    """Failure counts of the parent's runs, by `Failure` (timeout, memory, error, ...)."""
    trajectories: int = Field(2, ge=0)
    """Sample trajectories: this many runs' node sequences (operator, plan, outcome)."""
    lineage: int = Field(5, ge=0)
    """Diffs of the last this-many edits in the parent's lineage (0: none)."""


class ParentSelection(_Strict):
    rule: str = "dgm_h"
    """`dgm_h` (DGM-Hyperagents), `dgm` (Darwin Gödel Machine) or `uniform`."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The rule's parameters (`airlab.agents.parents`)."""


class MetaSpec(_Strict):
    """The content of `meta/meta.yaml`."""

    schema_: Literal[1] = Field(1, alias="schema")
    model: ModelSpec = Field(default_factory=ModelSpec)
    """The meta agent's model (none: the agent's default model)."""
    prompt: str = "edit.j2"
    """Its entry prompt, a file of `meta/prompts/`."""
    evidence: Evidence = Field(default_factory=Evidence)
    edits: int = Field(1, ge=1)
    """Edits (changed files) the meta agent makes per child."""
    parent_selection: ParentSelection = Field(default_factory=ParentSelection)
    self_modification: bool = False
    """Whether the meta agent may edit `meta/` too (its prompts, evidence, parent selection)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def read_mapping(path: Path, holds: str) -> dict[str, Any]:
    """The YAML mapping in `path` (an agent's or its meta agent's file); one line naming the
    file (and the line, for bad YAML) when it is missing, unreadable or not a mapping."""
    return read_yaml_mapping(path, ConfigError, holds=holds)


def load_meta(agent_root: Path) -> MetaSpec | None:
    """The hyperagent part of an agent folder, checked; None when it has no `meta/`."""
    from airlab.agents.parents import PARENT_RULES

    folder = agent_root / META_DIR
    if not folder.is_dir():
        return None
    path = folder / META_FILE
    data = read_mapping(path, f"a meta/ folder holds a {META_FILE}")
    try:
        spec = MetaSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(str(path), exc, MetaSpec)) from None
    selection = spec.parent_selection
    try:
        PARENT_RULES.parse_params(selection.rule, selection.params)
    except AirlabError as exc:
        raise ConfigError(f"{path}: parent_selection: {exc}") from None
    prompts = folder / "prompts"
    if not (prompts / spec.prompt).is_file():
        raise ConfigError(f"{path}: prompt {spec.prompt!r} is not in {prompts}")
    for template in sorted(prompts.glob(f"*{SUFFIX}")):
        check_template(template, META_VARIABLES)
    return spec


def meta_prompts(agent_root: Path) -> jinja2.Environment:
    """The sandboxed environment that renders a meta agent's prompts (`meta/prompts/`)."""
    loader = jinja2.FileSystemLoader(agent_root / META_DIR / "prompts")
    return sandboxed_environment(loader)
