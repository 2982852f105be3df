"""The search (ask/tell), its driver, budgets, worker pools and resume."""

from airlab.runner.config import Budget, LimitsOverride, RunConfig, Selection, load_config
from airlab.runner.events import RunObserver
from airlab.runner.layout import RunFolder
from airlab.runner.pool import POOLS, LocalPool, Pool, PoolResult, make_pool
from airlab.runner.ray_pool import RayPool
from airlab.runner.run import Run
from airlab.runner.search import Graded, Proposal, Search, Written

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
