"""What a child may change: the archive's settings, not the meta agent, decide.

A child's folder was written by a meta agent (a model, under `-b provider/model`), so it is
untrusted: it must not buy itself a paid or remote model, a bigger budget, or a prompt that reads
beyond the variables it is given. Checked on the stored files before anything of the child runs:

- `models` of `agent.yaml` and `model` of `meta/meta.yaml` stay the seed's (as data) unless the
  archive was started with `allow_model_edits` (`--allow-model-edits`);
- no `budget` field rises above the seed's, and `budget.steps` never above the evolve run's
  per-task steps where the seed sets none (a removed limit is a raised one);
- every prompt includes, imports and extends only templates named as constants, and reads no
  item through a computed key (the sandbox's static checks cover the rest: private attributes,
  undeclared variables, includes of files that are no prompt).

A child that breaks a rule is invalid with the rule as its one-line reason, and never evaluated.
"""

from __future__ import annotations

import math
from typing import Any

import jinja2
import yaml
from jinja2 import nodes

from airlab.evolve.archive import EvolveSettings
from airlab.operators.prompt_library import sandboxed_environment

BUDGET_FIELDS = ("steps", "time_s", "tokens", "cost_usd")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mapping(files: dict[str, str], path: str) -> dict[str, Any]:
    try:
        data = yaml.load(files.get(path, "") or "", Loader=_LOADER) or {}
    except yaml.YAMLError:
        return {}  # the schema check names the broken file
    return data if isinstance(data, dict) else {}


def _budget(spec: dict[str, Any], field: str, run_steps: int) -> float:
    """The effective limit of one budget field (no limit: infinity)."""
    budget = spec.get("budget") or {}
    value = budget.get(field) if isinstance(budget, dict) else None
    if value is None:
        return float(run_steps) if field == "steps" else math.inf
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf  # the schema check refuses it by name


def check_rules(
    seed: dict[str, str], child: dict[str, str], settings: EvolveSettings
) -> str | None:
    """None when the child keeps to the archive's rules, else the broken rule (one line)."""
    seed_spec, child_spec = _mapping(seed, "agent.yaml"), _mapping(child, "agent.yaml")
    if not settings.allow_model_edits:
        if (child_spec.get("models") or {}) != (seed_spec.get("models") or {}):
            return (
                f"agent.yaml: models changed to {child_spec.get('models')!r}; a child may not "
                "change models (start the archive with --allow-model-edits to allow it)"
            )
        seed_meta = _mapping(seed, "meta/meta.yaml").get("model")
        child_meta = _mapping(child, "meta/meta.yaml").get("model")
        if (child_meta or None) != (seed_meta or None):
            return (
                f"meta/meta.yaml: model changed to {child_meta!r}; a child may not change "
                "models (start the archive with --allow-model-edits to allow it)"
            )
    for field in BUDGET_FIELDS:
        cap = _budget(seed_spec, field, settings.steps)
        value = _budget(child_spec, field, settings.steps)
        if value > cap:
            shown = "no limit" if math.isinf(value) else f"{value:g}"
            return (
                f"agent.yaml: budget.{field} raised to {shown} above the seed's {cap:g}; "
                "a child may not raise its budget"
            )
    for path in sorted(child):
        if path.endswith(".j2") and child[path] != seed.get(path):
            reason = check_prompt(path, child[path])
            if reason is not None:
                return reason
    return None


def check_prompt(path: str, source: str) -> str | None:
    """A prompt's includes and item reads are constants (what the sandbox can check ahead)."""
    environment = sandboxed_environment(jinja2.DictLoader({}))
    try:
        tree = environment.parse(source, name=path)
    except jinja2.TemplateSyntaxError as exc:
        return f"{path}:{exc.lineno}: syntax error: {exc.message}"
    loads = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    for load in tree.find_all(loads):
        name = getattr(load, "template", None)
        if not isinstance(name, nodes.Const) or not isinstance(name.value, str):
            return f"{path}:{load.lineno}: a computed template name is not allowed in a prompt"
    for item in tree.find_all(nodes.Getitem):
        assert isinstance(item, nodes.Getitem)
        if not isinstance(item.arg, nodes.Const | nodes.Name | nodes.Slice):
            return f"{path}:{item.lineno}: a computed item key is not allowed in a prompt"
    for applied in tree.find_all(nodes.Filter):
        assert isinstance(applied, nodes.Filter)
        if applied.name == "attr" and not (
            applied.args and isinstance(applied.args[0], nodes.Const)
        ):
            return f"{path}:{applied.lineno}: a computed attribute is not allowed in a prompt"
    return None
