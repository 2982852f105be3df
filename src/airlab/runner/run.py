"""The driver of one search: model calls on writer threads, executions on the worker pool.

`Run` drives a `Search` (ask/tell, `runner/search.py`) with two separate bounds: at most
`llm_concurrency` model calls in flight (writes and analyses), at most `workers` executions. The
policy keeps proposing ahead, so that whenever a worker frees up a written candidate is waiting
in the queue. The main thread is the only one that tells the search (and so writes nodes); writer
threads only charge their calls to the ledger. Every finished node is committed before the next
proposal, and a run killed at any point resumes from its journal: nodes being written are written
again, queued and running ones run again, finished nodes are never touched. One process drives a
run folder at a time (`RunLock`).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlab.backends import Backend, ProgramWriter
from airlab.errors import BackendUnavailableError, RunCancelledError
from airlab.grading.grader import Grader
from airlab.journal import Journal, NodeStatus, SearchTree
from airlab.plans.grading import RubricGrader
from airlab.result import RunResult, RunStatus
from airlab.runner.config import RunConfig
from airlab.runner.events import RunObserver
from airlab.runner.finalize import write_failed_result
from airlab.runner.layout import RunFolder
from airlab.runner.lock import RunLock
from airlab.runner.pool import Pool, PoolResult, make_pool
from airlab.runner.scheduling import llm_slots, pipeline
from airlab.runner.search import Graded, Proposal, Search, Written
from airlab.sandbox import Sandbox
from airlab.sandbox.base import Execution, ExecutionLimits, ExecutionRequest
from airlab.tasks import Task

if TYPE_CHECKING:
    from airlab.agents.folder import Agent

WAIT_S = 1.0
"""Longest wait for a future before the loop looks at the budget again."""


@dataclass
class _Future:
    stage: str  # "write", "execute" or "analyse"
    node_id: int


class Run:
    """A search on one task with one policy, backend and pool, backed by a run folder."""

    def __init__(self, search: Search) -> None:
        self.search = search
        self.observer = RunObserver()

    # ---- what observers and the CLI read ---------------------------------------------------
    @property
    def config(self) -> RunConfig:
        return self.search.config

    @property
    def task(self) -> Task:
        return self.search.task

    @property
    def folder(self) -> RunFolder:
        return self.search.folder

    @property
    def journal(self) -> Journal:
        return self.search.journal

    @property
    def backend(self) -> Backend:
        return self.search.backend

    @property
    def sandbox(self) -> Sandbox:
        return self.search.sandbox

    @property
    def limits(self) -> ExecutionLimits:
        return self.search.limits

    @property
    def grader(self) -> Grader | RubricGrader:
        return self.search.grader

    @property
    def stop_reason(self) -> str | None:
        return self.search.stop_reason

    @property
    def elapsed_s(self) -> float:
        return self.search.elapsed_s

    @property
    def complete(self) -> bool:
        return self.search.complete

    def search_tree(self) -> SearchTree:
        return self.search.tree()

    def hidden_paths(self) -> tuple[Path, ...]:
        return self.search.hidden_paths()

    @property
    def llm_concurrency(self) -> int:
        """Model calls allowed in flight now (fixed, or adapted to observed latencies)."""
        return llm_slots(self.config, *self.search.observed_latencies())

    # ---- creating and reopening ------------------------------------------------------------
    @classmethod
    def create(cls, config: RunConfig, agent: Agent | None = None) -> Run:
        """A new run of `config`; `agent` is the folder it came from, if any (see
        `airlab.agents`)."""
        return cls(Search.create(config, agent))

    @classmethod
    def resume(cls, root: Path, *, workers: int | None = None) -> Run:
        """Reopen a run folder; `workers` may change, nothing else. Refused (one line) while
        another live process drives it. A folder without a journal is refused before the lock
        is taken, so that nothing (no `driver.lock`, no folder) is left behind in it."""
        folder = RunFolder.existing(root)
        RunLock(folder.root).check()
        return cls(Search.open(root, workers=workers))

    # ---- the loop --------------------------------------------------------------------------
    def execute(
        self, observer: RunObserver | None = None, *, pool: Pool | None = None
    ) -> RunResult:
        """Run the search to the end of its budget, choose the final node, return the result.

        `pool`: a pool shared with other runs (a sweep); by default the run builds its own and
        shuts it down at the end. On any exception (Ctrl-C included) the run's own pool cancels
        its candidates, so nothing it started outlives it; a shared pool is left to its owner.
        A backend that fails fatally stops the run: status `failed`, resumable once fixed.
        """
        self.observer = observer or RunObserver()
        search = self.search
        if search.complete and search.folder.result.is_file():
            return RunResult.model_validate_json(search.folder.result.read_text())
        with RunLock(search.folder.root):
            failed_before = search.status == RunStatus.FAILED
            search.journal.set_meta(status=RunStatus.RUNNING, error=None)
            own_pool = pool is None
            if pool is None:
                pool = make_pool(
                    self.config.pool, self.config.workers, search.sandbox, self.config.pool_options
                )
            search.run_commands = _on_pool(pool)
            self.observer.on_start(self)
            writers = ThreadPoolExecutor(
                max(self.config.llm_concurrency or 8 * self.config.workers, 1),
                thread_name_prefix="airlab-writer",
            )
            try:
                if self.config.preflight and (failed_before or not search.journal.nodes()):
                    search.preflight()
                self._loop(writers, pool)
            except BackendUnavailableError as exc:
                writers.shutdown(wait=True, cancel_futures=True)
                if own_pool:
                    pool.cancel_all()
                    pool.shutdown()
                search.sandbox.close()
                search.save_elapsed()
                result = write_failed_result(search, str(exc))
                self.observer.on_end(self, result)
                raise
            except BaseException:
                writers.shutdown(wait=False, cancel_futures=True)
                if own_pool:
                    pool.cancel_all()
                    pool.shutdown()
                search.sandbox.close()
                search.save_elapsed()
                raise
            writers.shutdown(wait=True)
            if own_pool:
                pool.shutdown()
            search.journal.set_meta(elapsed_s=search.elapsed_s, stop_reason=search.stop_reason)
            try:
                result = search.finalize()
            finally:
                search.sandbox.close()  # a warm sandbox's zygotes (a sweep's pool has its own)
            self.observer.on_end(self, result)
            return result

    def _loop(self, writers: ThreadPoolExecutor, pool: Pool) -> None:
        search = self.search
        futures: dict[Future[Any], _Future] = {}
        queue: deque[int] = deque()
        to_write, to_run, lost = search.recover()
        for node in lost:
            self.observer.on_finished(self, node)
        for proposal in to_write:
            self.observer.on_message(
                self, f"node {proposal.node.id}: writing it again after a restart"
            )
            self._write(proposal, futures, writers, queue)
        for node_id in to_run:
            self.observer.on_message(self, f"node {node_id}: running it again after a restart")
            queue.append(node_id)
        while True:
            if search.time_is_up() and queue:
                self._cancel_queued(queue)
            while queue and self._executing(futures) < self.config.workers:
                self._start(queue.popleft(), futures, pool)
            self._propose(futures, queue, writers)
            if not futures and not queue:
                return
            done, _ = wait(list(futures), timeout=WAIT_S, return_when=FIRST_COMPLETED)
            for future in done:
                item = futures.pop(future)
                if item.stage == "write":
                    self._on_written(future.result(), queue)
                elif item.stage == "execute":
                    self._on_executed(item.node_id, future, futures, queue, writers)
                else:
                    self._on_analysed(future)
            if search.fatal_error is not None:
                search.fail(search.fatal_error)
            search.save_elapsed()

    @staticmethod
    def _executing(futures: dict[Future[Any], _Future]) -> int:
        return sum(1 for item in futures.values() if item.stage == "execute")

    def _calls_in_flight(self, futures: dict[Future[Any], _Future]) -> int:
        return sum(1 for item in futures.values() if item.stage != "execute")

    def _propose(
        self, futures: dict[Future[Any], _Future], queue: deque[int], writers: ThreadPoolExecutor
    ) -> None:
        """Propose while a model slot is free and fewer candidates are written or waiting than
        keep the workers fed (`runner/scheduling.py`)."""
        search = self.search
        workers = self.config.workers
        while True:
            if self._writes_inline or not self.config.lookahead:
                # propose only for a worker about to be free (instant writers need no more)
                if len(futures) + len(queue) >= workers:
                    return
            else:
                observed = search.observed_latencies()
                writing = sum(1 for item in futures.values() if item.stage == "write")
                if self._calls_in_flight(futures) >= llm_slots(self.config, *observed):
                    return
                if writing + len(queue) >= pipeline(self.config, *observed):
                    return
            proposal = search.ask()
            if proposal is None:
                return
            self.observer.on_proposed(self, proposal.node)
            self._write(proposal, futures, writers, queue)

    @property
    def _writes_inline(self) -> bool:
        """A program writer (the offline templates) writes in milliseconds and deterministically:
        on the loop's own thread, one proposal after the other, as the policy sees them."""
        return isinstance(self.search.backend, ProgramWriter)

    def _write(
        self,
        proposal: Proposal,
        futures: dict[Future[Any], _Future],
        writers: ThreadPoolExecutor,
        queue: deque[int],
    ) -> None:
        if self._writes_inline:
            self._on_written(self.search.write(proposal), queue)
            return
        futures[writers.submit(self.search.write, proposal)] = _Future("write", proposal.node.id)

    def _on_written(self, written: Written, queue: deque[int]) -> None:
        node = self.search.tell_written(written)
        if node.status == NodeStatus.QUEUED:
            queue.append(node.id)
        elif node.status.finished:
            self.observer.on_finished(self, node)
        else:
            self.observer.on_message(self, f"node {node.id}: cancelled ({node.error or 'budget'})")

    def _start(self, node_id: int, futures: dict[Future[Any], _Future], pool: Pool) -> None:
        request = self.search.start(node_id)
        node = self.journal.get(node_id)
        self.observer.on_started(self, node)
        futures[pool.submit(request)] = _Future("execute", node_id)

    def _cancel_queued(self, queue: deque[int]) -> None:
        """Time is up: queued candidates will not start (they never count as steps)."""
        while queue:
            node_id = queue.popleft()
            self.journal.update(node_id, status=NodeStatus.CANCELLED)
        self.search.stop_reason = self.search.stop_reason or self.search.budget_reason()

    def _on_executed(
        self,
        node_id: int,
        future: Future[PoolResult],
        futures: dict[Future[Any], _Future],
        queue: deque[int],
        writers: ThreadPoolExecutor,
    ) -> None:
        search = self.search
        try:
            result = future.result()
        except Exception as exc:  # the worker, not the candidate, failed
            lost = search.tell_worker_failed(node_id, str(exc))
            if lost is None:
                self.observer.on_message(self, f"node {node_id}: worker failed ({exc}); retrying")
                queue.appendleft(node_id)
            else:
                self.observer.on_finished(self, lost)
            return
        if result.execution.cancelled:
            raise RunCancelledError(
                f"node {node_id}: its execution was cancelled; it runs again on resume"
            )
        graded = search.tell_executed(node_id, result)
        self.observer.on_finished(self, search.tell(graded))
        if search.analysis_enabled:
            futures[writers.submit(search.analyse, graded)] = _Future("analyse", node_id)

    def _on_analysed(self, future: Future[Graded]) -> None:
        self.search.tell_analysis(future.result())


def _on_pool(pool: Pool) -> Any:
    """ReAct's commands as executions on the run's pool (so they count against its workers)."""

    def run_command(request: ExecutionRequest) -> Execution:
        return pool.submit(request).result().execution

    return run_command
