"""A run's metadata in its journal (the `meta` table): one pydantic model, read and written
through `Journal.meta` and `Journal.set_meta`.

Versioned: journals written before the model existed hold no `meta_version` and read as 1 (their
keys are a subset of today's); keys this airlab does not know are kept as they are, so that an
older airlab's journal and a newer one's both open.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from airlab.errors import JournalError
from airlab.result import RunStatus

META_VERSION = 2


class RunMeta(BaseModel):
    """What a journal records about its run beside the nodes."""

    model_config = ConfigDict(extra="allow")

    meta_version: int = 1
    config: dict[str, Any] | None = None
    """The run's configuration as validated at creation (`RunConfig`, JSON)."""
    operator_set: dict[str, Any] | None = None
    task_name: str | None = None
    task_root: str | None = None
    metric: str | None = None
    direction: Literal["maximize", "minimize"] | None = None
    status: RunStatus = RunStatus.RUNNING
    error: str | None = None
    """Why a failed run stopped (one line)."""
    created_at: float | None = None
    finished_at: float | None = None
    airlab_version: str | None = None
    elapsed_s: float = 0.0
    stop_reason: str | None = None
    final_node: int | None = None
    agent: dict[str, Any] | None = None
    """The agent folder the run started from (`Agent.record()`)."""
    ensemble: str | None = None
    """What `selection.ensemble` did: the node it added, or why it added none."""
    forked_from: dict[str, Any] | list[Any] | str | None = None
    """The run and node a gym episode started from."""
    ideas: list[dict[str, Any]] | None = None
    """The approaches the ideation step proposed (`-O ideas=K`), which the first drafts follow."""
    ideation_error: str | None = None
    """Why the ideation step gave no ideas (its call failed; the drafts went their own way)."""


def validate_meta(values: dict[str, Any], source: object) -> RunMeta:
    """`values` as a RunMeta; a value of the wrong type is one line naming the journal."""
    from airlab.params import describe_error

    try:
        return RunMeta.model_validate(values)
    except ValidationError as exc:
        raise JournalError(describe_error(f"{source} (meta)", exc, RunMeta)) from None
