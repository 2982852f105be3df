"""The documentation site builds with `mkdocs build --strict`: every page is in the nav, the nav
names no missing page, the theme and extensions load, and the reference generated at build time
(the API pages from the docstrings, every plug-in's parameters from its Params model) is in it.
Skipped where the `[docs]` extra is not installed."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_LIST_PLUGINS = """
import json
from airlab.params_docs import registries
print(json.dumps({
    kind: {
        name: {f: i.description or "" for f, i in registry.params_model(name).model_fields.items()}
        for name in registry.names()
    }
    for kind, registry in registries().items()
}))
"""


def _words(text: str) -> str:
    """Only the words of `text`: Markdown and HTML render the same sentence differently."""
    return " ".join(re.findall(r"\w+", text))


def _text(page: Path) -> str:
    """A built page's words, tags dropped."""
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())))


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_generated_reference(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings"):
        pytest.importorskip(module, reason="the [docs] extra is not installed")
    src = str(ROOT / "src")
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
    }
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=240,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert (site / "benchmarks" / "index.html").is_file()

    from airlab.runner.config import RunConfig

    plugins = _text(site / "plugin-reference" / "index.html")
    # the registries as the build saw them: a fresh process, not this one, where other tests
    # may have registered plug-ins of their own
    listed = subprocess.run(
        [sys.executable, "-c", _LIST_PLUGINS], capture_output=True, text=True, env=env, check=True
    )
    for kind, names in json.loads(listed.stdout).items():
        for name, fields in names.items():
            assert _words(name) in plugins, f"{kind} {name!r} missing from the plug-in reference"
            for field, description in fields.items():
                assert field in plugins
                if description:
                    assert _words(description)[:40] in plugins, (name, field)
    api = _text(site / "api" / "runs" / "index.html")
    for field, info in RunConfig.model_fields.items():
        assert field in api
        if info.description:
            assert _words(info.description)[:40] in api, field


def test_every_page_is_in_the_nav() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [p for item in node for p in pages(item)]
        if isinstance(node, dict):
            return [p for value in node.values() for p in pages(value)]
        return []

    listed = pages(config["nav"])
    docs = ROOT / "docs"
    on_disk = sorted(p.relative_to(docs).as_posix() for p in docs.glob("**/*.md"))
    assert sorted(listed) == on_disk
