"""Errors a user of the evaluation package can act on.

They derive from `airlab.errors.AirlabError`, so the CLI prints their one-line message without a
traceback.
"""

from __future__ import annotations

from airlab.errors import AirlabError


class EvaluationError(AirlabError):
    """Scores, runs or rankings cannot be evaluated as asked."""


class RunResultError(EvaluationError):
    """A run folder's `result.json` is missing, is not JSON, or lacks a required field."""


class PreflibError(EvaluationError):
    """A PrefLib `.soc`/`.soi`/`.toc`/`.toi` file cannot be parsed."""


class TooManyAgentsError(EvaluationError):
    """An exact method (e.g. Kemeny–Young) was asked for more agents than it can handle."""
