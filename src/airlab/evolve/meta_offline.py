"""The offline meta agent: seeded, structured mutations, so `airlab evolve` runs anywhere.

Each child gets the parent meta/'s `edits` mutations, each at a different site of the folder:
a numeric parameter of the policy, a boolean operator option, a prompt fragment appended to the
system prompt, and (with self-modification) the meta agent's own settings: its number of edits,
its parent-selection rule, how many sample runs it reads. The draw is seeded by the archive's seed
and the child's id, so a resumed archive makes the same children.

An agent whose candidates the templates backend writes reads no prompt, and that backend honours
only some operator options (`TEMPLATES_OPTIONS`): for such an agent the meta agent draws only
edits that can change what it writes, so that an offline archive's scores can differ at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import yaml

from airlab.evolve.archive import Archive
from airlab.evolve.edits import Replace, SetField
from airlab.evolve.meta import MetaRequest, Proposal

PROMPT_FRAGMENTS = (
    "Prefer a strong, simple baseline first; add complexity only when it helps validation.",
    "Always hold out part of the training data and print the validation score.",
    "Use gradient-boosted trees for tabular data unless the data says otherwise.",
    "Standardise numeric features and encode categorical ones before fitting.",
    "Keep the script fast: avoid grid searches wider than a few settings.",
    "When a script fails, fix the cause named in the traceback and change nothing else.",
)
SYSTEM_PROMPT = "prompts/system.j2"
SELECTION_RULES = ("dgm_h", "dgm", "uniform")
TEMPLATES = "templates"
TEMPLATES_OPTIONS = ("memory", "diversity")
"""The operator options the templates backend reads (`backends/templates/backend.py`)."""

Site = Callable[[dict[str, str], np.random.Generator], "Replace | SetField | None"]


def _yaml(files: dict[str, str], path: str) -> dict:
    data = yaml.safe_load(files.get(path, "") or "") or {}
    return data if isinstance(data, dict) else {}


def _writes_by_templates(files: dict[str, str]) -> bool:
    """Whether every candidate of the agent is written by the templates backend (no prompts):
    its default model and each writing purpose's (a model not named is the default's)."""
    models = _yaml(files, "agent.yaml").get("models") or {}
    if not isinstance(models, dict):
        return False

    def backend(purpose: str) -> str:
        value = models.get(purpose)
        if isinstance(value, dict):
            value = value.get("backend")
        return str(value) if value else ""

    default = backend("default") or TEMPLATES
    writers = [backend(p) or default for p in ("draft", "improve", "debug", "crossover")]
    return all(w == TEMPLATES for w in writers)


def _policy_param(files: dict[str, str], rng: np.random.Generator) -> SetField | None:
    from airlab.policies import POLICIES

    spec = _yaml(files, "agent.yaml")
    policy = (spec.get("policy") or {}).get("name", "greedy")
    if policy not in POLICIES:
        return None
    model = POLICIES.params_model(policy)
    current = {**model().model_dump(), **((spec.get("policy") or {}).get("params") or {})}
    numeric = [k for k, f in model.model_fields.items() if f.annotation in (int, float)]
    if not numeric:
        return None
    name = numeric[int(rng.integers(len(numeric)))]
    value: Any = current.get(name)
    if model.model_fields[name].annotation is int:
        new: float = max(1 if name.startswith("num_") else 0, int(value) + int(rng.choice([-1, 1])))
    else:
        bounded = any(getattr(m, "le", None) == 1 for m in model.model_fields[name].metadata)
        step = float(rng.choice([0.5, 2.0]))
        new = round(min(1.0, float(value) * step) if bounded else float(value) * step, 4)
        if new == value:
            new = round(float(value) / 2, 4)
    return SetField(file="agent.yaml", action="set_field", field=f"policy.params.{name}", value=new)


def _operator_option(files: dict[str, str], rng: np.random.Generator) -> SetField | None:
    from airlab.operators import OPERATOR_SETS, operator_options

    spec = _yaml(files, "agent.yaml")
    name = (spec.get("operators") or {}).get("set", "aide")
    if name not in OPERATOR_SETS:
        return None
    options = operator_options(name, (spec.get("operators") or {}).get("options"))
    fields = type(options).model_fields
    flags = [k for k, f in fields.items() if f.annotation in (bool, bool | None)]
    if _writes_by_templates(files):
        flags = [k for k in flags if k in TEMPLATES_OPTIONS]
    if not flags:
        return None
    flag = flags[int(rng.integers(len(flags)))]
    value = not bool(getattr(options, flag))  # unset (the backend's default) counts as off
    return SetField(
        file="agent.yaml", action="set_field", field=f"operators.options.{flag}", value=value
    )


def _prompt_fragment(files: dict[str, str], rng: np.random.Generator) -> Replace | None:
    from airlab.operators.prompt_library import PROMPTS_DIR

    if _writes_by_templates(files):
        return None  # the templates backend reads no prompt: the edit could change nothing
    base = files.get(SYSTEM_PROMPT) or (PROMPTS_DIR / "system.j2").read_text()
    unused = [f for f in PROMPT_FRAGMENTS if f not in base]
    if not unused:
        return None
    fragment = unused[int(rng.integers(len(unused)))]
    return Replace(
        file=SYSTEM_PROMPT, action="replace", content=base.rstrip("\n") + f"\n{fragment}\n"
    )


def _meta_edits(files: dict[str, str], rng: np.random.Generator) -> SetField | None:
    meta = _yaml(files, "meta/meta.yaml")
    if not meta:
        return None
    return SetField(
        file="meta/meta.yaml",
        action="set_field",
        field="edits",
        value=int(rng.choice([e for e in (1, 2, 3) if e != meta.get("edits", 1)])),
    )


def _meta_rule(files: dict[str, str], rng: np.random.Generator) -> SetField | None:
    meta = _yaml(files, "meta/meta.yaml")
    if not meta:
        return None
    current = (meta.get("parent_selection") or {}).get("rule", "dgm_h")
    rule = str(rng.choice([r for r in SELECTION_RULES if r != current]))
    return SetField(
        file="meta/meta.yaml",
        action="set_field",
        field="parent_selection",
        value={"rule": rule, "params": {}},
    )


def _meta_trajectories(files: dict[str, str], rng: np.random.Generator) -> SetField | None:
    meta = _yaml(files, "meta/meta.yaml")
    if not meta:
        return None
    current = (meta.get("evidence") or {}).get("trajectories", 2)
    value = int(rng.choice([n for n in (0, 1, 2, 3) if n != current]))
    return SetField(
        file="meta/meta.yaml", action="set_field", field="evidence.trajectories", value=value
    )


AGENT_SITES: tuple[Site, ...] = (_policy_param, _policy_param, _operator_option, _prompt_fragment)
META_SITES: tuple[Site, ...] = (_meta_edits, _meta_rule, _meta_trajectories)


class OfflineMeta:
    """Seeded mutations over agent.yaml, the system prompt and (self-modifying) meta/meta.yaml."""

    name = "offline"

    def propose(self, request: MetaRequest, archive: Archive) -> Proposal:
        rng = np.random.default_rng([request.seed, request.child_id])
        sites = list(AGENT_SITES) + (list(META_SITES) if request.self_modify else [])
        order = rng.permutation(len(sites))
        edits: list[Replace | SetField] = []
        touched: set[str] = set()
        for index in order:
            edit = sites[int(index)](request.files, rng)
            if edit is None:
                continue
            key = edit.file + (f":{edit.field}" if isinstance(edit, SetField) else "")
            if key in touched:
                continue
            touched.add(key)
            edits.append(edit)
            if len(edits) == request.meta.edits:
                break
        return Proposal(edits)
