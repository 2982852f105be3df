"""The search (ask/tell), its driver, budgets, worker pools and resume.

The names below are imported on first use (PEP 562), so that `airlab.runner.config` alone, which
the CLI reads to validate options, does not pull in the search with numpy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airlab.runner.config import Budget, LimitsOverride, RunConfig, Selection, load_config
    from airlab.runner.events import RunObserver
    from airlab.runner.layout import RunFolder
    from airlab.runner.pool import POOLS, LocalPool, Pool, PoolResult, make_pool
    from airlab.runner.ray_pool import RayPool
    from airlab.runner.run import Run
    from airlab.runner.search import Graded, Proposal, Search, Written

_WHERE = {
    "Budget": "config",
    "LimitsOverride": "config",
    "RunConfig": "config",
    "Selection": "config",
    "load_config": "config",
    "RunObserver": "events",
    "RunFolder": "layout",
    "POOLS": "pool",
    "LocalPool": "pool",
    "Pool": "pool",
    "PoolResult": "pool",
    "make_pool": "pool",
    "RayPool": "ray_pool",
    "Run": "run",
    "Graded": "search",
    "Proposal": "search",
    "Search": "search",
    "Written": "search",
}

__all__ = [
    "POOLS",
    "Budget",
    "Graded",
    "LimitsOverride",
    "LocalPool",
    "Pool",
    "PoolResult",
    "Proposal",
    "RayPool",
    "Run",
    "RunConfig",
    "RunFolder",
    "RunObserver",
    "Search",
    "Selection",
    "Written",
    "load_config",
    "make_pool",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
