"""Where a failed script failed: the line named by its diagnosis or its traceback, shown with its
neighbours, so that a debug prompt points a small model at the line to change.

A 1.5B model shown only the end of the error output repeated the same NameError verbatim; the
failing line itself, marked among the lines around it, is what it needs to look at.
"""

from __future__ import annotations

import re

from airlab.journal.node import Node

_TRACEBACK = re.compile(r'File "[^"]*solution\.py", line (\d+)')
_DIAGNOSIS = re.compile(r"\(line (\d+)\)|\bline (\d+)\b")
AROUND = 2
"""Lines shown on each side of the failing one."""


def failing_line(node: Node) -> int | None:
    """The line the node failed at: the last frame of the script in its traceback, else the line
    its one-line diagnosis names; None when neither says."""
    frames = _TRACEBACK.findall(node.stderr_tail or "")
    if frames:
        return int(frames[-1])
    match = _DIAGNOSIS.search(node.error or "")
    if match:
        return int(match.group(1) or match.group(2))
    return None


def excerpt(code: str, line: int, around: int = AROUND) -> str:
    """Lines `line - around` to `line + around` of `code`, numbered, the failing one marked `>`;
    "" when the line is not in the code."""
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    first, last = max(1, line - around), min(len(lines), line + around)
    width = len(str(last))
    return "\n".join(
        f"{'>' if number == line else ' '} {number:>{width}} | {lines[number - 1]}"
        for number in range(first, last + 1)
    )
