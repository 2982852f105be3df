"""One base class for every error a user can act on.

Each message is a single line that names the file, field or value at fault; the CLI prints it
without a traceback.
"""

from __future__ import annotations


class AirlabError(Exception):
    """Base of all user-facing airlab errors."""


class ConfigError(AirlabError):
    """A run configuration, CLI option or YAML file is invalid."""


class TaskError(AirlabError):
    """A task folder is missing a file or holds an invalid field."""


class EvaluatorError(AirlabError):
    """A task's own evaluator could not run (a package or file it needs is missing): the
    grade is invalid, but the submission was not judged."""


class UnknownNameError(AirlabError):
    """A registry lookup failed (unknown task, policy, backend, metric, ...)."""


class PluginError(UnknownNameError):
    """An installed plug-in (a package's entry point) could not be imported."""


class JournalError(AirlabError):
    """A run folder or its journal cannot be opened or resumed."""


class SandboxError(AirlabError):
    """A sandbox could not be set up (not: the candidate failed; that is an Execution)."""


class WorkerLostError(SandboxError):
    """The worker running a candidate died or was killed (not the candidate's fault): the
    runner runs the candidate again, and marks its node lost after too many tries."""


class RunCancelledError(AirlabError):
    """A run's candidates were cancelled from outside (its pool was stopped); it resumes."""


class BackendError(AirlabError):
    """A backend could not produce a candidate (missing SDK or key, unusable response).

    `fatal`: the failure says the backend cannot work at all (a refused key, an unknown model, no
    server listening, retries exhausted), so a run stops after a few in a row instead of spending
    its budget on them."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class BudgetExhaustedError(AirlabError):
    """A model call was refused before it was sent: the run's token or cost budget is spent."""


class BackendUnavailableError(AirlabError):
    """The run stopped: its backend failed fatally several times in a row (or at preflight).
    The run is marked failed and resumes once the backend works."""


class RunLockedError(AirlabError):
    """Another live process drives this run folder."""


class NoCodeError(BackendError):
    """A model was asked but gave no usable code (its calls are charged in the usage ledger
    all the same)."""


class ReplayMismatchError(BackendError):
    """A replayed run asked something its recording never answered: the replay is invalid."""
