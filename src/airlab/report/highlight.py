"""Code as people read it in the view: highlighted Python and unified diffs between nodes."""

from __future__ import annotations

import difflib

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer, PythonLexer

_FORMATTER = HtmlFormatter(nowrap=True)
CSS_SCOPE = ".code"


def highlight_python(code: str) -> str:
    """HTML spans (pygments classes) for Python source; wrap it in `<pre class="code">`."""
    return highlight(code, PythonLexer(), _FORMATTER) if code else ""


def unified_diff(old: str, new: str, *, old_name: str, new_name: str, context: int = 3) -> str:
    """A unified diff of two sources; empty when they are the same."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_name,
        tofile=new_name,
        n=context,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def highlight_diff(diff: str) -> str:
    return highlight(diff, DiffLexer(), _FORMATTER) if diff else ""


def diff_stats(diff: str) -> tuple[int, int]:
    """Lines added and removed by a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def highlight_css(style: str = "friendly") -> str:
    """The stylesheet for the spans above, scoped to `.code` blocks."""
    return HtmlFormatter(style=style).get_style_defs(CSS_SCOPE)
