"""Parsing Python source into an AST, safely from many threads.

A sweep runs its runs as threads of one process, and every run parses the code its model wrote
(checks, the I/O prelude, names read before assignment). On CPython 3.11 the AST constructor
keeps its recursion depth in state shared by all threads; when a garbage-collector finaliser
switches threads in the middle of one `ast.parse`, another thread's parse corrupts it and one of
them fails with `SystemError: AST constructor recursion depth mismatch` (CPython gh-106905), which
failed whole runs of a sweep at random. Every parse in airlab goes through `parse`, which holds
one lock: parses are short, so serialising them costs nothing a run would notice. Also the one
reading of a call's name, and the one rewriting of nodes' text, that the passes over written
scripts share.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse(source, filename)`, one at a time across threads."""
    with _LOCK:
        return ast.parse(source, filename)  # noqa: TID251 - the one permitted call


def called_name(value: ast.AST) -> str | None:
    """`f` of `f(...)` or `module.f(...)`; None for anything else."""
    if not isinstance(value, ast.Call):
        return None
    if isinstance(value.func, ast.Name):
        return value.func.id
    if isinstance(value.func, ast.Attribute):
        return value.func.attr
    return None


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    """The value given to keyword `name` in `call`, or None."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    """The argument given as `keyword`, else the one at `position` (None where it is not
    given, or where a `*args` hides the positions)."""
    given = keyword_value(call, keyword)
    if given is not None:
        return given
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return call.args[position] if len(call.args) > position else None


Spanned = ast.expr | ast.stmt | ast.keyword
"""The nodes that carry their position in the source."""


def replace_spans(source: str, edits: Iterable[tuple[Spanned, str]]) -> str:
    """`source` with the text of each node replaced (spans must not overlap). The AST's
    columns count UTF-8 bytes, so the edit is made on the encoded source."""
    encoded = source.encode()
    starts = [0]
    for index, byte in enumerate(encoded):
        if byte == 0x0A:
            starts.append(index + 1)

    def span(node: Spanned) -> tuple[int, int]:
        end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or 0
        return starts[node.lineno - 1] + node.col_offset, starts[end_line - 1] + end_col

    for node, text in sorted(edits, key=lambda edit: span(edit[0]), reverse=True):
        start, end = span(node)
        encoded = encoded[:start] + text.encode() + encoded[end:]
    return encoded.decode()
