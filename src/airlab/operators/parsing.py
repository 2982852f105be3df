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
_SHELL_LINE = re.compile(r"^(\s*)([!%].*)$")
_FAMILY_LINE = re.compile(r"^Family\s*:.*$", re.MULTILINE)
"""The plan's `Family: <approach>` line, which the prompt asks for beside the code."""
SHELL_MARK = "pass  # airlab: removed a notebook line:"
TRUNCATED_FINISH_REASONS = frozenset({"length", "max_tokens"})
"""`finish_reason` of an answer cut off at the output token limit (OpenAI, Anthropic)."""


@dataclass(frozen=True)
class ParsedAnswer:
    plan: str
    code: str
    complete: bool
    """The code block was closed and the code compiles (notebook lines such as `!pip install`
    aside: a repair turns them into `pass`, see `strip_shell_lines`)."""
    closed: bool = True
    """The code block was closed: a closed block that does not compile is the model's syntax
    error, an unclosed one a cut-off."""


def strip_thinking(text: str) -> str:
    return _THINKING.sub("", text).strip()


def parse_answer(text: str) -> ParsedAnswer | None:
    """Plan and code from an answer; None when it holds no Python block with a statement (the
    1.5B local model echoed the prompt's answer format, whose block is only the comment
    `# the whole script`, in 3 recorded answers: run, each wrote nothing)."""
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
    if all(not line.strip() or line.lstrip().startswith("#") for line in code.splitlines()):
        return None  # blank, or only comments: the answer format's `# the whole script` echoed
    plan = (text[: match.start()] + text[match.end() :]).strip()
    plan = _FENCE.sub("", plan).strip()
    code, family = _family_line_out(code)
    if family:
        plan = f"{plan}\n{family}".strip()
    complete = closed and _compiles(strip_shell_lines(code)[0])
    return ParsedAnswer(plan=plan, code=code + "\n", complete=complete, closed=closed)


def _family_line_out(code: str) -> tuple[str, str]:
    """(the code without the plan's `Family:` line the model put in it, that line) where the
    code compiles only without it: a 1.5B model's draft and three debug answers in a row died of
    that syntax error, live; else (code, "")."""
    lines = _FAMILY_LINE.findall(code)
    if not lines or _compiles(code):
        return code, ""
    without = _FAMILY_LINE.sub("", code).rstrip("\n")
    if not _compiles(without):
        return code, ""
    return without, lines[-1].strip()


def _compiles(code: str) -> bool:
    try:
        compile(code, "solution.py", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def strip_shell_lines(code: str) -> tuple[str, list[str]]:
    """Notebook lines (`!pip install x`, `%matplotlib inline`) turned into `pass` with a comment,
    only in a script that does not compile and compiles without them; else unchanged."""
    if _compiles(code):
        return code, []
    removed: list[str] = []
    lines = []
    for line in code.splitlines():
        match = _SHELL_LINE.match(line)
        if match:
            removed.append(match.group(2).strip())
            line = f"{match.group(1)}{SHELL_MARK} {match.group(2).strip()}"
        lines.append(line)
    fixed = "\n".join(lines) + ("\n" if code.endswith("\n") else "")
    if not removed or not _compiles(fixed):
        return code, []
    return fixed, removed
