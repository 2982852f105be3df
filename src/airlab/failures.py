"""Why a node failed: one enum shared by the sandbox, the runner, the policies and the reports.

The values are the strings stored in journals (v1 journals hold the same strings), so a journal is
read back into the same members.
"""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    # the candidate ran and failed (the sandbox says so)
    CANCELLED = "cancelled"
    """Stopped by the run (Ctrl-C, a shared pool's cancel): says nothing about the candidate."""
    TIMEOUT = "timeout"
    MEMORY = "memory"
    DISK = "disk"
    ERROR = "error"
    NO_SUBMISSION = "no_submission"
    # it ran, but the grader refused what it wrote
    INVALID_SUBMISSION = "invalid_submission"
    # it never ran: the writing failed
    NO_CODE = "no_code"
    """The model's answer held no usable code, even after a reminder."""
    TRUNCATED = "truncated"
    """The answer was cut off (finish_reason=length) or its code block never closed."""
    SYNTAX = "syntax"
    """The answer was complete and its code does not compile: the model wrote it so (a
    1.5B model left a call's parenthesis open), not a cut-off."""
    REFUSED = "refused"
    """The model (or its provider's filter) declined to answer (`content_filter`, `refusal`):
    the answer's usage is charged; several in a row stop the run."""
    UNCHANGED = "unchanged"
    """The code is identical to a parent's (or differs only in comments and layout): running it
    again would teach nothing."""
    CHECK_FAILED = "check_failed"
    """A check before running found a certain failure (a module the sandbox lacks, a name read
    before any line binds it, an empty feature list): not run, debuggable from its diagnosis."""
    BACKEND = "backend"
    """The model could not be reached (refused key, unknown model, no server): not the
    candidate's fault; the node is cancelled and the step is not counted."""
    BUDGET = "budget"
    """A model call was refused because the token or cost budget is spent."""
    LOST = "lost"
    """Its execution could not be completed (the worker died too often)."""


UNREPAIRABLE = frozenset(
    {
        Failure.LOST,
        Failure.NO_CODE,
        Failure.REFUSED,
        Failure.BACKEND,
        Failure.BUDGET,
        Failure.UNCHANGED,
    }
)
"""Failures a debug step cannot act on: nothing ran, or no code was written, or the code is a
parent's again (its outcome is known: with the 1.5B local model, a debug of an unchanged node
whose code had failed was valid 0 times in 11 recorded, each another repeat). (Members compare
equal to their strings, so a node built with a plain string is judged the same.)"""
