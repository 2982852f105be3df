"""Candidates not worth executing: code known to be cut off, or the same code as a parent.

Running them would waste a worker and, for an unchanged copy, add a duplicate "good" node. The
runner records them as failures instead, which the policy can debug like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

from airlab.backends.base import Candidate
from airlab.failures import Failure
from airlab.journal.node import Node
from airlab.operators.prompting import TRUNCATED_FINISH_REASONS


def candidate_problem(candidate: Candidate, parents: Sequence[Node]) -> tuple[Failure, str] | None:
    """Why `candidate` must not run, as a failure kind and a one-line reason; None when it may."""
    finish = candidate.meta.get("finish_reason")
    if finish in TRUNCATED_FINISH_REASONS:
        return Failure.TRUNCATED, (
            f"the answer was cut off at the output token limit (finish_reason {finish!r})"
        )
    syntax = compile_error(candidate.code)
    if syntax is not None:
        return Failure.TRUNCATED, f"the code does not compile: {syntax}"
    if candidate.meta.get("incomplete_code"):
        return Failure.TRUNCATED, "the code block of the answer was never closed"
    code = normalised(candidate.code)
    for parent in parents:
        if parent.code and normalised(parent.code) == code:
            return Failure.UNCHANGED, f"the code is the same as node {parent.id}'s"
    return None


def compile_error(code: str) -> str | None:
    """The compiler's complaint about `code` in one line, or None when it compiles."""
    try:
        compile(code, "solution.py", "exec")
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"{exc.msg}{where}"
    except ValueError as exc:  # e.g. a null byte in the source
        return str(exc)
    return None


def normalised(code: str) -> str:
    """Code with trailing whitespace and trailing blank lines removed, for comparing copies."""
    return "\n".join(line.rstrip() for line in code.splitlines()).strip("\n")
