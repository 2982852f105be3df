"""Where prompt templates come from: an agent's own `prompts/` first, then the packaged ones.

Templates render in a sandboxed Jinja environment with strict undefined variables, so a prompt
file, which a colleague or a meta agent may have written, can read the variables it is given and
nothing else. An override is checked when it is loaded, before any model call: a syntax error, a
variable its template is never given, an attribute reached through `_` or a file that overrides no
template is one line naming the file and line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from airlab.errors import ConfigError

PROMPTS_DIR = Path(__file__).parent / "prompts"
SUFFIX = ".j2"

_TASK = frozenset(
    {"task", "skeleton", "data_preview", "limits", "packages_text", "family_examples"}
)
_OPERATOR = _TASK | {
    "memory",
    "lessons",
    "diversity",
    "ask_family",
    "react",
    "native_tools",
    "workspace_files",
    "command_timeout_s",
    "max_turns",
    "edit_diff",
}
_PLAN = frozenset({"task", "paper", "revision"})
"""A plan or revision task's prompts: the goal (and a revision's paper), no data or limits."""
_PLAN_STEP = _PLAN | {"memory", "diversity"}
TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "system.j2": frozenset(),
    "react_system.j2": frozenset({"native_tools"}),
    "_task.j2": _TASK,
    "_memory.j2": _OPERATOR,
    "_lessons.j2": _OPERATOR,
    "_answer_format.j2": _OPERATOR,
    "draft.j2": _OPERATOR | {"approaches_tried", "idea"},
    "improve.j2": _OPERATOR | {"parent"},
    "debug.j2": _OPERATOR | {"parent", "fix_chain", "failing_lines", "last_change", "known_error"},
    "crossover.j2": _OPERATOR | {"parents"},
    "analysis.j2": frozenset({"task", "node"}),
    "lessons.j2": frozenset({"task_text", "task_name", "memory", "facts", "count", "chars"}),
    "plan_system.j2": frozenset(),
    "_plan_task.j2": _PLAN,
    "_plan_answer.j2": _PLAN_STEP,
    "plan_draft.j2": _PLAN_STEP,
    "plan_improve.j2": _PLAN_STEP | {"parent", "feedback", "critique"},
    "plan_critique.j2": _PLAN_STEP | {"parent"},
    "plan_debug.j2": _PLAN_STEP | {"parent"},
    "plan_crossover.j2": _PLAN_STEP | {"parents"},
    "ideate.j2": _TASK | {"ideas", "idea_diversity", "idea_families", "assigned_families"},
}
"""Every template and the variables the code gives it (`_task.j2` is also rendered on its own,
as the cacheable prefix of a prompt; the partials are included by the operator templates)."""


def sandboxed_environment(loader: jinja2.BaseLoader) -> SandboxedEnvironment:
    """The one environment every prompt renders in: sandboxed, strict undefined variables."""
    return SandboxedEnvironment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=False,
    )


class PromptLibrary:
    """The templates of one run: `override_dir` (an agent's `prompts/`) before the packaged."""

    def __init__(self, override_dir: Path | None = None) -> None:
        self.override_dir = override_dir if override_dir and override_dir.is_dir() else None
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(PROMPTS_DIR)]
        if self.override_dir is not None:
            loaders.insert(0, jinja2.FileSystemLoader(self.override_dir))
            self.overrides = tuple(sorted(p.name for p in self.override_dir.glob(f"*{SUFFIX}")))
        else:
            self.overrides = ()
        self.environment = sandboxed_environment(jinja2.ChoiceLoader(loaders))
        for name in self.overrides:
            check_template(self.override_dir / name)  # type: ignore[operator]

    def render(self, template: str, **variables: Any) -> str:
        """The prompt, stripped, with one final newline."""
        return self.environment.get_template(template).render(**variables).strip() + "\n"


PACKAGED = PromptLibrary()
"""The packaged templates alone: what a run without an agent's prompts uses."""


def check_template(path: Path, variables: frozenset[str] | None = None) -> None:
    """Raise ConfigError (`FILE:LINE: what`) unless `path` is a safe override of a packaged
    template, or, given its `variables`, a safe template of its own (a meta agent's prompt, which
    may include its siblings)."""
    known = TEMPLATE_VARIABLES.get(path.name) if variables is None else variables
    if known is None:
        close = difflib.get_close_matches(path.name, list(TEMPLATE_VARIABLES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        names = ", ".join(sorted(TEMPLATE_VARIABLES))
        raise ConfigError(f"{path}: overrides no packaged prompt{hint} (prompts: {names})")
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({type(exc).__name__})") from None
    environment = sandboxed_environment(jinja2.FileSystemLoader(PROMPTS_DIR))
    try:
        tree = environment.parse(source, name=path.name, filename=str(path))
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: syntax error: {exc.message}") from None
    for node in _private_attributes(tree):
        raise ConfigError(
            f"{path}:{node.lineno}: attribute {_attribute(node)!r} is not allowed in a prompt "
            "(names starting with '_' are never reachable)"
        )
    for name in sorted(meta.find_undeclared_variables(tree) - known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        given = ", ".join(sorted(known)) or "none"
        raise ConfigError(
            f"{path}:{_first_use(tree, name)}: unknown variable {name!r}{hint} "
            f"({path.name} is given: {given})"
        )
    includable = set(TEMPLATE_VARIABLES) if variables is None else _siblings(path)
    for include in meta.find_referenced_templates(tree):
        if include is not None and include not in includable:
            raise ConfigError(f"{path}: includes {include!r}, which is no prompt template")


def _siblings(path: Path) -> set[str]:
    return {p.name for p in path.parent.glob(f"*{SUFFIX}") if p != path}


def _private_attributes(tree: nodes.Template) -> Iterator[nodes.Node]:
    """Attribute reads of `_` names: `x.__class__`, `x['__class__']`, `x | attr('__class__')`."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _attribute(node)
        if isinstance(name, str) and name.startswith("_"):
            yield node


def _attribute(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Filter):
        first = node.args[0] if node.name == "attr" and node.args else None
        return first.value if isinstance(first, nodes.Const) else None
    argument = getattr(node, "arg", None)
    return argument.value if isinstance(argument, nodes.Const) else None


def _first_use(tree: nodes.Template, name: str) -> int:
    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines, default=1)
