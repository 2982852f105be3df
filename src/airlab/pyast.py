"""Parsing Python source into an AST, safely from many threads.

A sweep runs its runs as threads of one process, and every run parses the code its model wrote
(checks, the I/O prelude, names read before assignment). On CPython 3.11 the AST constructor
keeps its recursion depth in state shared by all threads; when a garbage-collector finaliser
switches threads in the middle of one `ast.parse`, another thread's parse corrupts it and one of
them fails with `SystemError: AST constructor recursion depth mismatch` (CPython gh-106905), which
failed whole runs of a sweep at random. Every parse in airlab goes through `parse`, which holds
one lock: parses are short, so serialising them costs nothing a run would notice. Also the one
reading of a call's name that the passes over written scripts share.
"""

from __future__ import annotations

import ast
import threading

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
