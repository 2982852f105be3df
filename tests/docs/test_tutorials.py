"""Every code block of the tutorials (the pages under "Tutorials" in mkdocs.yml) runs as written.

A page's blocks run in order in one empty folder, as a reader would copy them: a ```bash block
through bash, a ```python block as a script; a block that is a file the reader writes has
`<!-- test: file PATH -->` on the line above and is written there, one that cannot run here (a
key, a server, another benchmark's data) has `<!-- test: skip REASON -->`. A block in any other
language must say which of the two it is; a block without a language is output, never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RUN = {"bash": "bash", "sh": "bash", "python": "python"}
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)
MARKER = re.compile(r"<!-- test: (?P<what>file|skip) ?(?P<arg>.*?) -->\n*\Z")


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    body: str
    marker: str | None
    """`file` or `skip`; None: unmarked."""
    arg: str


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a page, each with the marker on the line above it, if any."""
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        marker = MARKER.search(before[-300:])
        found.append(
            Block(
                line=before.count("\n") + 1,
                lang=match["lang"],
                body=match["body"],
                marker=marker["what"] if marker else None,
                arg=marker["arg"].strip() if marker else "",
            )
        )
    return found


def tutorials() -> list[str]:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    section = next(item["Tutorials"] for item in nav if "Tutorials" in item)
    return [page for entry in section for page in entry.values()]


def test_blocks_and_markers_are_read_as_the_pages_mean_them() -> None:
    text = (
        "<!-- test: file a/b.py -->\n```python\nx = 1\n```\n\n"
        "```bash\necho hi\n```\n\n<!-- test: skip needs a key -->\n\n```bash\nairlab run\n```\n"
        "```\noutput\n```\n"
    )
    found = blocks(text)
    assert [(b.lang, b.marker, b.arg) for b in found] == [
        ("python", "file", "a/b.py"),
        ("bash", None, ""),
        ("bash", "skip", "needs a key"),
        ("", None, ""),
    ]
    assert found[0].body == "x = 1\n" and found[1].line == 6


@pytest.mark.parametrize("page", tutorials())
def test_every_tutorial_block_says_what_it_is(page: str) -> None:
    for block in blocks((ROOT / "docs" / page).read_text(encoding="utf-8")):
        where = f"docs/{page}:{block.line}"
        if block.marker == "skip":
            assert block.arg, f"{where}: a skipped block says why"
        elif block.marker == "file":
            assert block.arg and not Path(block.arg).is_absolute(), f"{where}: a relative path"
        else:
            assert block.lang in RUN or not block.lang, (
                f"{where}: a ```{block.lang} block needs <!-- test: file PATH --> or "
                "<!-- test: skip REASON -->"
            )


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", tutorials())
def test_every_tutorial_runs_as_written(page: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "AIRLAB_HOME": str(tmp_path / "home"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
        ),
    }
    ran = 0
    for block in blocks((ROOT / "docs" / page).read_text(encoding="utf-8")):
        where = f"docs/{page}:{block.line}"
        if block.marker == "skip" or (block.marker is None and block.lang not in RUN):
            continue
        if block.marker == "file":
            target = work / block.arg
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
            continue
        if RUN[block.lang] == "bash":
            command = ["bash", "-euo", "pipefail", "-c", block.body]
        else:
            command = [sys.executable, "-c", block.body]
        done = subprocess.run(
            command, cwd=work, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{where} failed:\n{(done.stdout + done.stderr)[-3000:]}"
        ran += 1
    assert ran, f"docs/{page}: no block ran"
