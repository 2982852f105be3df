"""The parameter tables in docs/*.md, generated from the plug-ins' Params models.

A table sits between `<!-- params: KIND NAME -->` and `<!-- /params -->` (KIND is a registry's
kind: policy, operator set, backend, pool, sandbox, ranking method). `python -m
airlab.params_docs docs/*.md` rewrites them; `--check` only says which are stale, and a test
runs it, so the documentation cannot drift from the code.
"""

from __future__ import annotations

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
