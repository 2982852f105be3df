"""The parameter tables in docs/*.md, generated from the plug-ins' Params models.

A table sits between `<!-- params: KIND NAME -->` and `<!-- /params -->` (KIND is a registry's
kind: policy, operator set, backend, pool, sandbox, ranking method). `python -m
airlab.params_docs docs/*.md` rewrites them; `--check` only says which are stale, and a test
runs it, so the documentation cannot drift from the code.

It is also the documentation site's mkdocs hook (`hooks:` in mkdocs.yml): at build time every
block is regenerated, and `<!-- params: every plug-in -->` becomes the parameters of every
registered plug-in of every kind (docs/plugin-reference.md), so the site's reference is the code's.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

from airlab.params import params_table
from airlab.registry import Registry

BLOCK = re.compile(
    r"(?P<open><!-- params: (?P<kind>[a-z ]+?) (?P<name>[^ >]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /params -->)",
    re.DOTALL,
)


def registries() -> dict[str, Registry[Any]]:
    """Every registry of configurable plug-ins, by kind."""
    from airlab.agents.parents import PARENT_RULES
    from airlab.backends import BACKENDS
    from airlab.evaluation.ranking import METHODS
    from airlab.operators import OPERATOR_SETS
    from airlab.policies import POLICIES
    from airlab.runner.pool import POOLS
    from airlab.sandbox import SANDBOXES

    kinds = (POLICIES, OPERATOR_SETS, BACKENDS, POOLS, SANDBOXES, METHODS, PARENT_RULES)
    return {r.kind: r for r in kinds}


def render(kind: str, name: str) -> str:
    """The table of plug-in `name` of `kind`."""
    known = registries()
    if kind not in known:
        raise KeyError(f"no plug-in kind {kind!r} (known: {', '.join(sorted(known))})")
    return params_table(known[kind].params_model(name)) + "\n"


def update(text: str) -> str:
    """`text` with every params block regenerated."""
    return BLOCK.sub(
        lambda m: m["open"] + render(m["kind"], m["name"]) + m["close"],
        text,
    )


EVERY = "<!-- params: every plug-in -->"
"""Where the site's full plug-in reference goes."""


def every_plugin() -> str:
    """Every registered plug-in of every kind: a section per kind, its summary and table (a
    model another plug-in of the kind already showed is named, not repeated)."""
    parts = []
    for kind, registry in registries().items():
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        parts.append(f"## {plural[0].upper()}{plural[1:]}\n")
        shown: dict[type[Any], str] = {}
        for name in registry.names():
            summary = _summary(registry.get(name))
            model = registry.params_model(name)
            parts.append(f"### `{name}`\n")
            if summary:
                parts.append(summary + "\n")
            if model in shown and model.model_fields:
                parts.append(f"Parameters: those of `{shown[model]}` above.\n")
            else:
                parts.append(params_table(model) + "\n")
                shown.setdefault(model, name)
    return "\n".join(parts)


def _summary(item: object) -> str:
    """A plug-in's own `description`, else the first paragraph of its docstring (its class's,
    for an instance); a dataclass's generated signature is no summary."""
    described = getattr(item, "description", None)
    if isinstance(described, str) and described.strip():
        return " ".join(described.split())
    doc = inspect.getdoc(item if inspect.isclass(item) or callable(item) else type(item))
    if not doc or doc == inspect.getdoc(object) or doc.startswith(f"{type(item).__name__}("):
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook: a page's parameter tables as the code declares them now."""
    fresh = update(markdown)
    return fresh.replace(EVERY, every_plugin()) if EVERY in fresh else fresh


def documented(text: str) -> set[tuple[str, str]]:
    """The (kind, name) pairs that have a block in `text`."""
    return {(m["kind"], m["name"]) for m in BLOCK.finditer(text)}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in (Path(arg) for arg in argv if arg != "--check"):
        text = path.read_text()
        fresh = update(text)
        if fresh != text:
            stale.append(str(path))
            if not check:
                path.write_text(fresh)
    if check and stale:
        print(f"stale parameter tables in {', '.join(stale)}: run python -m airlab.params_docs")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
