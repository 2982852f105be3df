"""Reading a model's answer: a plan in prose and one fenced block of Python.

Answers are messy: reasoning models wrap thoughts in <think> tags, some write several blocks,
some are cut off by the token limit. The longest complete Python block wins; an unclosed block
is kept only if it compiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_THINKING = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_LANGS = {"", "python", "py", "python3"}


@dataclass(frozen=True)
class ParsedAnswer:
    plan: str
    code: str
    complete: bool
    """The code block was closed and the code compiles."""


def strip_thinking(text: str) -> str:
    return _THINKING.sub("", text).strip()


def parse_answer(text: str) -> ParsedAnswer | None:
    """Plan and code from an answer; None when it holds no Python block at all."""
    text = strip_thinking(text)
    blocks = []
    for match in _FENCE.finditer(text):
        if match.group("lang").lower() not in _PYTHON_LANGS:
            continue
        closed = text[match.end() - 3 : match.end()] == "```"
        blocks.append((match, closed))
    if not blocks:
        return None
    match, closed = max(blocks, key=lambda item: (item[1], len(item[0].group("body"))))
    code = match.group("body").strip("\n")
    if not code.strip():
        return None
    plan = (text[: match.start()] + text[match.end() :]).strip()
    plan = _FENCE.sub("", plan).strip()
    return ParsedAnswer(plan=plan, code=code + "\n", complete=closed and _compiles(code))


def _compiles(code: str) -> bool:
    try:
        compile(code, "solution.py", "exec")
    except (SyntaxError, ValueError):
        return False
    return True
