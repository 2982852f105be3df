"""One self-contained HTML file per run: page, styles, script and data inlined, works offline."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from airlab.report.data import RunData, load_run
from airlab.report.highlight import highlight_css
from airlab.report.viewmodel import build_view

VIEW_FILE = "view.html"


@cache
def _asset(name: str) -> str:
    return resources.files("airlab.report").joinpath("assets", name).read_text(encoding="utf-8")


def asset(name: str) -> str:
    """One of the report's assets (`view.css`, ...): other pages reuse its styles."""
    return _asset(name)


def embed_json(data: Any) -> str:
    """JSON safe inside a `<script>` element: no `<` can close it or open a comment."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


def render_html(run: RunData, *, live: bool = False) -> str:
    """The view of one run as a complete HTML document."""
    view = build_view(run, live=live)
    page = _asset("view.html")
    replacements = {
        "__AIRLAB_TITLE__": html.escape(f"{run.task} · {run.name}"),
        "/*__AIRLAB_CSS__*/": _asset("view.css"),
        "/*__AIRLAB_CODE_CSS__*/": highlight_css(),
        "/*__AIRLAB_JS__*/": _asset("view.js"),
        "__AIRLAB_DATA__": embed_json(view),
    }
    for marker, text in replacements.items():
        page = page.replace(marker, text, 1)
    return page


def write_view(run_dir: Path | str, out: Path | str | None = None) -> Path:
    """Write `RUN_DIR/view.html` (or `out`) and return its path."""
    run = load_run(run_dir)
    target = Path(out) if out is not None else run.root / VIEW_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(run), encoding="utf-8")
    return target
