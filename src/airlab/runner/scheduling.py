"""How many model calls a run keeps in flight, so that its workers never wait for a candidate.

A worker finishes a candidate every `exec_s` seconds; the model spends `write_s` seconds on each
(its write, and its analysis when analyses are on: both hold a slot). To keep `workers`
executions fed, about `workers × write_s / exec_s` calls must be in flight, plus one waiting
candidate per worker to absorb the spread. With `llm_concurrency` unset, airlab starts at
2 × workers and adapts to the medians it observes, up to 8 × workers (a provider's rate limits
answer 429s, which are retried with backoff). Set `--llm-concurrency` to fix it.

Two numbers come out: the calls allowed in flight (`llm_slots`), and how many candidates may be
written or waiting ahead of the workers (`pipeline`): no more than keep the workers fed, since a
candidate proposed early is proposed knowing less.
"""

from __future__ import annotations

import math

from airlab.runner.config import RunConfig

MIN_PER_WORKER = 2
MAX_PER_WORKER = 8


def _needed(workers: int, write_s: float | None, exec_s: float | None) -> int | None:
    if write_s is None or exec_s is None:
        return None
    return math.ceil(workers * write_s / max(exec_s, 0.1)) + workers


def llm_slots(config: RunConfig, write_s: float | None, exec_s: float | None) -> int:
    """Model calls allowed in flight, from the medians observed so far (None: not yet known)."""
    if config.llm_concurrency is not None:
        return config.llm_concurrency
    workers = config.workers
    base = MIN_PER_WORKER * workers
    needed = _needed(workers, write_s, exec_s)
    if needed is None:
        return base
    return max(base, min(needed, MAX_PER_WORKER * workers))


def pipeline(config: RunConfig, write_s: float | None, exec_s: float | None) -> int:
    """Candidates allowed to be written or queued ahead of the workers at once."""
    slots = llm_slots(config, write_s, exec_s)
    needed = _needed(config.workers, write_s, exec_s)
    if config.llm_concurrency is not None or needed is None:
        return slots
    return max(config.workers + 1, min(needed, slots))
