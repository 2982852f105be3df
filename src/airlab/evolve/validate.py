"""Is a child an agent? Checked without executing anything of it but its sandboxed prompts and a
sandboxed one-step run: the schema (agent.yaml, meta/meta.yaml), every prompt (parsed, its
variables checked, the meta agent's entry prompt rendered in the sandbox), then a smoke run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from airlab.agents import load_agent
from airlab.agents.meta import meta_prompts
from airlab.errors import AirlabError
from airlab.evolve.evaluate import Evaluator

EMPTY_EVIDENCE: dict[str, Any] = {"scores": {}, "failures": {}, "trajectories": [], "lineage": []}


def check_child(folder: Path, work: Path, evaluator: Evaluator | None) -> str | None:
    """None when the folder is a valid agent, else the reason (one line)."""
    try:
        agent = load_agent(folder)
    except AirlabError as exc:
        return str(exc).replace(str(folder) + "/", "")
    if agent.meta is not None:
        try:
            meta_prompts(folder).get_template(agent.meta.prompt).render(
                agent={},
                edits=agent.meta.edits,
                self_modification=agent.meta.self_modification,
                **EMPTY_EVIDENCE,
            )
        except jinja2.TemplateError as exc:
            return f"meta/prompts/{agent.meta.prompt}: does not render: {exc}"
    if evaluator is None:
        return None
    return evaluator.smoke(folder, work)
