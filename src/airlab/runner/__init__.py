"""The run loop, budgets, worker pools and resume."""

from airlab.runner.config import Budget, LimitsOverride, RunConfig, Selection, load_config
from airlab.runner.events import RunObserver
from airlab.runner.layout import RunFolder
from airlab.runner.pool import POOLS, LocalPool, Pool, PoolResult, make_pool
from airlab.runner.ray_pool import RayPool
from airlab.runner.run import Run

__all__ = [
    "POOLS",
    "Budget",
    "LimitsOverride",
    "LocalPool",
    "Pool",
    "PoolResult",
    "RayPool",
    "Run",
    "RunConfig",
    "RunFolder",
    "RunObserver",
    "Selection",
    "load_config",
    "make_pool",
]
