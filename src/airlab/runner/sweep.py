"""Many runs at once: a grid of tasks × policies × backends × seeds through one shared pool.

Each cell of the grid is an ordinary run with its own folder and journal under `<sweep>/runs/`.
`sweep.json` (the manifest) records the grid and the state of every run; the journals stay the
source of truth, so a sweep killed at any point continues where it stopped when run again:
complete runs are skipped, unfinished ones resume, missing ones start.

Runs execute on threads (at most `workers // run_workers` at once, so the pool stays full
without a queue) and submit their candidates to one pool, local or Ray.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import sqlite3
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from airlab.errors import AirlabError, ConfigError, JournalError, RunCancelledError
from airlab.journal import Node
from airlab.params import describe_error
from airlab.result import RunStatus
from airlab.runner.config import RunConfig, _Strict, load_config, merge
from airlab.runner.events import RunObserver
from airlab.runner.pool import POOLS, Pool, make_pool
from airlab.runner.run import Run
from airlab.sandbox import get_sandbox
from airlab.tasks import resolve_task
from airlab.tasks.checks import require_task_data

if TYPE_CHECKING:
    from airlab.agents import Agent

MANIFEST_FILE = "sweep.json"
RUNS_DIR = "runs"
GRID_FIELDS = ("task", "policy", "backend", "seed", "runs_dir", "run_name", "workers", "pool")


class SweepAgent(_Strict):
    """An agent of the grid, as it was when the sweep began (see `airlab.agents`)."""

    source: str
    """A packaged agent's name, or the agent folder's absolute path."""
    name: str
    hash: str
    """Its content hash: a run started later refuses an agent that has changed since."""
    policy: str
    backend: str


class SweepSpec(_Strict):
    """The grid and what every run shares. `base` holds any run field (budget, limits, ...).
    With `agents`, each agent replaces the policy × backend axes: tasks × agents × seeds."""

    tasks: list[str] = Field(min_length=1)
    policies: list[str] = Field(default_factory=lambda: ["greedy"], min_length=1)
    backends: list[str] = Field(default_factory=lambda: ["templates"], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    workers: int = Field(2, ge=1)
    """Candidates executing at once across the whole sweep (the pool's size)."""
    run_workers: int = Field(1, ge=1)
    """Candidates in flight per run."""
    pool: str = "local"
    pool_options: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)
    agents: list[SweepAgent] = Field(default_factory=list)

    def digest(self) -> str:
        data = self.model_dump(mode="json", exclude=None if self.agents else {"agents"})
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def concurrent_runs(self) -> int:
        return max(1, self.workers // self.run_workers)


def load_spec(data: dict[str, Any], source: str) -> SweepSpec:
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(source, exc, SweepSpec)) from None
    clash = sorted(set(spec.base) & set(GRID_FIELDS))
    if clash:
        raise ConfigError(f"{source}: field 'base.{clash[0]}' is set by the sweep itself")
    if spec.agents:
        if spec.policies != ["greedy"] or spec.backends != ["templates"]:
            raise ConfigError(
                f"{source}: a sweep of agents takes each run's policy and backend from its agent "
                "(give policies and backends, or agents)"
            )
        names = [agent.name for agent in spec.agents]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ConfigError(f"{source}: two agents are named {twice[0]!r}; rename one")
    return spec


@dataclass(frozen=True)
class Cell:
    """One run of the grid."""

    task: str
    policy: str
    backend: str
    seed: int
    agent: SweepAgent | None = None

    @property
    def name(self) -> str:
        middle = self.agent.name if self.agent else f"{self.policy}-{self.backend}"
        raw = f"{Path(self.task).name}-{middle}-s{self.seed}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)


def cells(spec: SweepSpec) -> list[Cell]:
    if spec.agents:
        product = itertools.product(spec.tasks, spec.agents, spec.seeds)
        return [Cell(t, a.policy, a.backend, seed, a) for t, a, seed in product]
    grid = itertools.product(spec.tasks, spec.policies, spec.backends, spec.seeds)
    return [Cell(*values) for values in grid]


@dataclass
class RunState:
    """What the progress table shows of one run."""

    cell: Cell
    status: str = "pending"
    """pending | running | interrupted, or how the run ended (a `RunStatus`)."""
    steps_done: int = 0
    steps_total: int | None = None
    best_search: float | None = None
    test_score: float | None = None
    error: str | None = None
    started: float | None = None
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.cell.task,
            "policy": self.cell.policy,
            "backend": self.cell.backend,
            "seed": self.cell.seed,
            **({"agent": self.cell.agent.name} if self.cell.agent else {}),
            "status": self.status,
            "steps_done": self.steps_done,
            "best_search_score": self.best_search,
            "test_score": self.test_score,
            "error": self.error,
        }


def _never_written(path: Path) -> bool:
    """A journal file the driver was killed in the middle of creating: no table, no schema."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return False  # not a journal at all: let resuming say so
    return version == 0 and tables == 0


class SweepObserver:
    """Told whenever a run's state changes (the CLI's table); runs call it from their threads."""

    def on_update(self, sweep: Sweep, state: RunState) -> None: ...


@dataclass
class _Progress(RunObserver):
    """Feeds one run's events into its `RunState`."""

    sweep: Sweep
    state: RunState
    observer: SweepObserver
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_start(self, run: Run) -> None:
        self._update(run)

    def on_finished(self, run: Run, node: Node) -> None:
        self._update(run)

    def _update(self, run: Run) -> None:
        with self._lock:
            tree = run.search_tree()
            best = tree.best()
            self.state.steps_done = sum(1 for n in run.journal.nodes() if n.status.finished)
            self.state.best_search = None if best is None else best.search_score
        self.observer.on_update(self.sweep, self.state)


class Sweep:
    """A sweep folder: its spec, its manifest, and one run folder per cell."""

    def __init__(self, root: Path, spec: SweepSpec) -> None:
        self.root = root
        self.spec = spec
        self.states = {cell.name: RunState(cell) for cell in cells(spec)}
        self._lock = threading.Lock()

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_FILE

    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS_DIR

    @classmethod
    def create_or_continue(cls, root: Path, spec: SweepSpec) -> Sweep:
        """A new sweep at `root`, or the one already there if it has the same spec."""
        root = Path(root).resolve()
        if (root / MANIFEST_FILE).is_file():
            existing = cls.open(root)
            if existing.spec != spec:
                raise ConfigError(
                    f"{root / MANIFEST_FILE}: a different sweep lives here; choose another --name"
                )
            return existing
        sweep = cls(root, spec)
        sweep.root.mkdir(parents=True, exist_ok=True)
        sweep._write_manifest()
        return sweep

    @classmethod
    def open(cls, root: Path) -> Sweep:
        root = Path(root).resolve()
        path = root / MANIFEST_FILE
        if not path.is_file():
            raise JournalError(f"{path}: no sweep manifest here")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise JournalError(f"{path}: not valid JSON") from None
        return cls(root, load_spec(data.get("spec") or {}, str(path)))

    def run_config(self, cell: Cell) -> RunConfig:
        data = merge(
            self.spec.base,
            {
                "task": cell.task,
                "policy": None if cell.agent else cell.policy,
                "backend": None if cell.agent else cell.backend,
                "seed": cell.seed,
                "workers": self.spec.run_workers,
                "pool": self.spec.pool,
                "pool_options": self.spec.pool_options or None,
                "runs_dir": str(self.runs_dir),
                "run_name": cell.name,
            },
        )
        if cell.agent is not None:
            from airlab.agents import load_agent, with_agent  # airlab.agents imports the runner

            data = with_agent(load_agent(cell.agent.source), data)
        return load_config(data, source=f"{self.manifest} (run {cell.name})")

    def agent_for(self, cell: Cell) -> Agent | None:
        """The cell's agent for a run about to start, unchanged since the sweep began."""
        if cell.agent is None:
            return None
        from airlab.agents import load_agent

        agent = load_agent(cell.agent.source)
        if agent.content_hash != cell.agent.hash:
            raise ConfigError(
                f"agent {cell.agent.source}: changed since this sweep began (sha256 "
                f"{cell.agent.hash[:12]}, now {agent.short_hash}); start a new sweep (--name)"
            )
        return agent

    # ---- running ---------------------------------------------------------------------------
    def execute(self, observer: SweepObserver | None = None) -> dict[str, RunState]:
        """Run every unfinished cell; return the state of each. Ctrl-C cancels the candidates
        running now and leaves every journal ready to continue."""
        observer = observer or SweepObserver()
        configs = {name: self.run_config(state.cell) for name, state in self.states.items()}
        for task in dict.fromkeys(str(config.task) for config in configs.values()):
            require_task_data(resolve_task(task))  # once per task, before any run starts
        POOLS.parse_params(self.spec.pool, self.spec.pool_options)
        POOLS.get(self.spec.pool).check_available()
        sandbox = get_sandbox(str(self.spec.base.get("sandbox", "auto")))
        pool = make_pool(self.spec.pool, self.spec.workers, sandbox, self.spec.pool_options)
        runners = ThreadPoolExecutor(self.spec.concurrent_runs, thread_name_prefix="airlab-run")
        try:
            futures: set[Future[None]] = {
                runners.submit(self._run_one, configs[name], state, pool, observer)
                for name, state in self.states.items()
            }
            while futures:
                done, futures = wait(futures, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
        except BaseException:
            runners.shutdown(wait=False, cancel_futures=True)
            pool.cancel_all()
            with self._lock:
                for state in self.states.values():
                    if state.status in ("pending", "running"):
                        state.status = "interrupted"
            self._write_manifest()
            raise
        finally:
            pool.shutdown()
            sandbox.close()
        runners.shutdown(wait=True)
        self._write_manifest()
        return self.states

    def _run_one(
        self, config: RunConfig, state: RunState, pool: Pool, observer: SweepObserver
    ) -> None:
        """One cell, start to end; its own failure is recorded, never raised."""
        state.status, state.started = "running", time.monotonic()
        state.steps_total = config.budget.steps
        observer.on_update(self, state)
        try:
            run = self._open_run(config, state.cell)
            result = run.execute(_Progress(self, state, observer), pool=pool)
        except RunCancelledError:
            state.status = "interrupted"
        except AirlabError as exc:
            state.status, state.error = "failed", str(exc)
        except Exception as exc:
            state.status, state.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            state.status = result.status.value
            if result.status == RunStatus.NO_VALID_SOLUTION:
                state.error = result.no_solution_line()
            state.steps_done = result.nodes
            state.best_search = result.best_search_score
            state.test_score = result.scores.test
        state.elapsed_s = time.monotonic() - state.started
        self._write_manifest()
        observer.on_update(self, state)

    def _open_run(self, config: RunConfig, cell: Cell) -> Run:
        """Resume the cell's run if it has a journal, else start it afresh."""
        root = self.runs_dir / str(config.run_name)
        journal = root / "journal.sqlite"
        if journal.is_file() and not _never_written(journal):
            return Run.resume(root)
        if root.exists():  # killed before its journal held anything: nothing to keep
            shutil.rmtree(root)
        return Run.create(config, self.agent_for(cell))

    def _write_manifest(self) -> None:
        with self._lock:
            data = {
                "spec": self.spec.model_dump(mode="json"),
                "runs": {name: state.as_dict() for name, state in self.states.items()},
                "updated_at": time.time(),
            }
            temporary = self.manifest.with_suffix(".json.tmp")
            temporary.write_text(json.dumps(data, indent=2) + "\n")
            os.replace(temporary, self.manifest)
