"""The documentation site builds with `mkdocs build --strict`: every page is in the nav, the nav
names no missing page, and the theme and extensions load. Skipped where mkdocs-material is not
installed (it is not a dependency: `pip install mkdocs-material`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs-material is not installed")
    pytest.importorskip("material", reason="mkdocs-material is not installed")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=240,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert (tmp_path / "site" / "benchmarks" / "index.html").is_file()


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
