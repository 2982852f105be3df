"""The search loop: propose, write, execute, grade, record; repeat until the budget is spent.

The main thread owns the journal and is its only writer. Candidates are written on a small thread
pool (LLM calls wait on the network) and executed on the worker pool, so the policy keeps proposing
while candidates run. Every finished node is committed before the next proposal, and a run killed
at any point resumes from its journal: nodes still being written are written again, nodes that
were running are run again, finished nodes are never touched. A node is one journal row from
proposal to result, so a restart can repeat an execution but never record a node twice.
"""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import airlab
from airlab.backends import Backend, Candidate, ChatModel, make_backend
from airlab.backends.llm import LLM_CALLS_FILE, RecordingChatModel
from airlab.errors import ConfigError, JournalError, ReplayMismatchError, RunCancelledError
from airlab.grading.grader import Grader
from airlab.grading.self_report import parse_self_reported_score
from airlab.journal import Journal, Node, NodeStatus, SearchTree
from airlab.operators import OPERATOR_SETS, OPERATORS, OperatorContext, check_operator_options
from airlab.operators.analysis import analyse_execution
from airlab.operators.prompting import PromptSettings
from airlab.policies import POLICY_META, Policy, make_policy
from airlab.runner.config import RunConfig, load_config
from airlab.runner.events import RunObserver
from airlab.runner.finalize import finalize_run
from airlab.runner.layout import RunFolder
from airlab.runner.pool import POOLS, Pool, PoolResult, make_pool
from airlab.sandbox import Sandbox, get_sandbox
from airlab.sandbox.base import SUBMISSION_FILE, ExecutionLimits, ExecutionRequest
from airlab.tasks import Task, data_home, resolve_task

MAX_EXECUTION_ATTEMPTS = 3


@dataclass
class _InFlight:
    stage: str  # "write", "execute" or "analyse"
    node_id: int
    changes: dict[str, Any] | None = None
    """For "analyse": the graded node's changes, recorded once the analysis is back."""


class Run:
    """A search on one task with one policy, backend and pool, backed by a run folder."""

    def __init__(self, config: RunConfig, folder: RunFolder, journal: Journal, task: Task) -> None:
        self.config = config
        self.folder = folder
        self.journal = journal
        self.task = task
        self.operator_set = OPERATOR_SETS.get(config.operators)
        self.operators: tuple[str, ...] = self.operator_set.operators
        self.backend: Backend = make_backend(config.backend, config.backend_options)
        if isinstance(self.backend, ChatModel):
            self.backend = RecordingChatModel(self.backend, folder.root / LLM_CALLS_FILE)
        self.policy: Policy = make_policy(
            config.policy, config.policy_params, self.operators, self.backend
        )
        self.operator_options = {**self.operator_set.options, **config.operator_options}
        """The operator set's cues, overridden by the run's own operator options."""
        check_operator_options(self.operator_options)
        self.prompt_settings = PromptSettings.from_options(self.operator_options)
        self.analysis_enabled = isinstance(self.backend, ChatModel) and bool(
            self.operator_options.get("analysis", True)
        )
        self.sandbox: Sandbox = get_sandbox(config.sandbox)
        self.grader = Grader(task)
        self.limits = execution_limits(config, task)
        self.observer = RunObserver()
        self.stop_reason: str | None = None
        self._session_started = time.monotonic()
        self._elapsed_before = float(journal.get_meta("elapsed_s", 0.0))

    # ---- creating and reopening ------------------------------------------------------------
    @classmethod
    def create(cls, config: RunConfig) -> Run:
        """Validate everything, then make the run folder and its journal."""
        task = resolve_task(config.task)
        operator_set = OPERATOR_SETS.get(config.operators)
        make_policy(config.policy, config.policy_params, operator_set.operators)
        make_backend(config.backend, config.backend_options)
        check_operator_options(config.operator_options)
        POOLS.get(config.pool).check_options(config.pool_options)
        get_sandbox(config.sandbox)
        folder = RunFolder.new(config.runs_dir, task.name, config.policy, config.run_name)
        folder.config.write_text(config.to_yaml())
        journal = Journal.create(folder.journal)
        journal.set_meta(
            config=config.model_dump(mode="json"),
            operator_set=operator_set.to_dict(),
            task_name=task.name,
            task_root=str(task.root),
            metric=task.spec.metric,
            direction=task.spec.direction,
            status="running",
            created_at=time.time(),
            airlab_version=airlab.__version__,
            elapsed_s=0.0,
        )
        return cls(config, folder, journal, task)

    @classmethod
    def resume(cls, root: Path, *, workers: int | None = None) -> Run:
        """Reopen a run folder; `workers` may change, nothing else."""
        folder = RunFolder(Path(root).resolve())
        journal = Journal.open(folder.journal)
        stored = journal.get_meta("config")
        if stored is None:
            raise JournalError(f"{folder.journal}: no configuration recorded")
        if workers is not None:
            stored = {**stored, "workers": workers}
            journal.set_meta(config=stored)
        config = load_config(stored, source=str(folder.journal))
        task_root = Path(journal.get_meta("task_root", ""))
        task = resolve_task(task_root if task_root.is_dir() else config.task)
        return cls(config, folder, journal, task)

    @property
    def complete(self) -> bool:
        return self.journal.get_meta("status") == "complete"

    # ---- budget ----------------------------------------------------------------------------
    @property
    def elapsed_s(self) -> float:
        return self._elapsed_before + time.monotonic() - self._session_started

    def _budget_reason(self) -> str | None:
        budget = self.config.budget
        nodes = [n for n in self.journal.nodes() if n.status != NodeStatus.CANCELLED]
        if budget.steps is not None and len(nodes) >= budget.steps:
            return f"step budget reached ({budget.steps})"
        if budget.time_s is not None and self.elapsed_s >= budget.time_s:
            return f"time budget reached ({budget.time_s:g} s)"
        if (
            budget.tokens is not None
            and sum(n.tokens_in + n.tokens_out for n in nodes) >= budget.tokens
        ):
            return f"token budget reached ({budget.tokens})"
        if budget.cost_usd is not None and sum(n.cost_usd for n in nodes) >= budget.cost_usd:
            return f"cost budget reached (${budget.cost_usd:g})"
        return None

    def _time_is_up(self) -> bool:
        return self.config.budget.time_s is not None and self.elapsed_s >= self.config.budget.time_s

    # ---- the loop --------------------------------------------------------------------------
    def execute(
        self, observer: RunObserver | None = None, *, pool: Pool | None = None
    ) -> dict[str, Any]:
        """Run the search to the end of its budget, choose the final node, return the result.

        `pool`: a pool shared with other runs (a sweep); by default the run builds its own from
        its configuration and shuts it down at the end. On any exception (Ctrl-C included) the
        run's own pool cancels its candidates, so nothing it started outlives it; a shared
        pool is left to its owner.
        """
        self.observer = observer or RunObserver()
        if self.complete and self.folder.result.is_file():
            return json.loads(self.folder.result.read_text())
        own_pool = pool is None
        if pool is None:
            pool = make_pool(
                self.config.pool, self.config.workers, self.sandbox, self.config.pool_options
            )
        self.observer.on_start(self)
        in_flight: dict[Future[Any], _InFlight] = {}
        writers = ThreadPoolExecutor(self.config.workers, thread_name_prefix="airlab-writer")
        self._writers = writers
        try:
            self._recover(in_flight, writers, pool)
            while True:
                self._propose(in_flight, writers)
                if not in_flight:
                    break
                done, _ = wait(list(in_flight), timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    item = in_flight.pop(future)
                    if item.stage == "write":
                        self._on_written(item.node_id, future, in_flight, pool)
                    elif item.stage == "analyse":
                        self._on_analysed(item, future)
                    else:
                        self._on_executed(item.node_id, future, in_flight, pool)
                self.journal.set_meta(elapsed_s=self.elapsed_s)
        except BaseException:
            writers.shutdown(wait=False, cancel_futures=True)
            if own_pool:
                pool.cancel_all()
                pool.shutdown()
            self.journal.set_meta(elapsed_s=self.elapsed_s)
            raise
        writers.shutdown(wait=True)
        if own_pool:
            pool.shutdown()
        self.journal.set_meta(elapsed_s=self.elapsed_s, stop_reason=self.stop_reason)
        return finalize_run(self)

    def _recover(
        self, in_flight: dict[Future[Any], _InFlight], writers: ThreadPoolExecutor, pool: Pool
    ) -> None:
        """Pick up nodes a killed session left in flight."""
        for node in self.journal.nodes():
            if node.status == NodeStatus.PROPOSED:
                self.observer.on_message(self, f"node {node.id}: writing it again after a restart")
                self._submit_write(node, in_flight, writers)
            elif node.status == NodeStatus.RUNNING and node.attempts >= MAX_EXECUTION_ATTEMPTS:
                lost = self.journal.update(
                    node.id,
                    status=NodeStatus.LOST,
                    failure="lost",
                    error=f"started {node.attempts} times, never finished (the run was killed)",
                    finished_at=time.time(),
                )
                self.observer.on_finished(self, lost)
            elif node.status == NodeStatus.RUNNING:
                self.observer.on_message(self, f"node {node.id}: running it again after a restart")
                self._submit_execution(node, in_flight, pool)

    def _propose(
        self, in_flight: dict[Future[Any], _InFlight], writers: ThreadPoolExecutor
    ) -> None:
        while len(in_flight) < self.config.workers:
            reason = self._budget_reason()
            if reason is not None:
                self.stop_reason = reason
                return
            tree = self.search_tree()
            rng = np.random.default_rng([self.config.seed, len(self.journal), 11])
            step = self.policy.propose(tree, rng)
            if step is None:
                if not in_flight:
                    self.stop_reason = "the policy has nothing left to propose"
                return
            if step.operator not in self.operators:
                raise ConfigError(
                    f"policy {self.config.policy!r} proposed {step.operator!r}, which is not in "
                    f"operator set {self.config.operators!r} ({', '.join(self.operators)})"
                )
            depth = 0
            if step.operator == "debug":
                depth = self.journal.get(step.parent_ids[0]).debug_depth + 1
            node = self.journal.add(
                step.operator,
                step.parent_ids,
                note=step.note,
                debug_depth=depth,
                meta={POLICY_META: step.meta} if step.meta else None,
            )
            self.observer.on_proposed(self, node)
            self._submit_write(node, in_flight, writers)

    def search_tree(self) -> SearchTree:
        return SearchTree.from_nodes(
            self.journal.nodes(),
            maximize=self.task.spec.maximize,
            fitness_source=self.config.selection.fitness,
        )

    # ---- writing a candidate ---------------------------------------------------------------
    def _submit_write(
        self, node: Node, in_flight: dict[Future[Any], _InFlight], writers: ThreadPoolExecutor
    ) -> None:
        tree = self.search_tree()
        context = OperatorContext(
            task=self.task,
            parents=tuple(tree.by_id[p] for p in node.parent_ids),
            history=tuple(n for n in tree.nodes if n.id != node.id and n.code),
            backend=self.backend,
            seed=self.config.seed,
            node_id=node.id,
            limits=self.limits,
            options=self.operator_options,
            sandbox=self.sandbox,
            scratch_dir=self.folder.root / "react" / f"{node.id:04d}",
            hidden_paths=self.hidden_paths(),
        )
        future = writers.submit(_write_candidate, node.operator, context)
        in_flight[future] = _InFlight("write", node.id)

    def _on_written(
        self,
        node_id: int,
        future: Future[Any],
        in_flight: dict[Future[Any], _InFlight],
        pool: Pool,
    ) -> None:
        candidate, seconds, error = future.result()
        if error is not None:
            node = self.journal.update(
                node_id,
                status=NodeStatus.BUGGY,
                failure="no_code",
                error=error,
                generation_seconds=seconds,
                finished_at=time.time(),
            )
            self.observer.on_finished(self, node)
            return
        usage = candidate.usage
        changes = dict(
            plan=candidate.plan,
            code=candidate.code,
            meta={**self.journal.get(node_id).meta, **candidate.meta},
            generation_seconds=seconds,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            cost_usd=usage.cost_usd,
        )
        if self._time_is_up():
            self.stop_reason = self.stop_reason or self._budget_reason()
            self.journal.update(node_id, status=NodeStatus.CANCELLED, **changes)
            return
        node = self.journal.update(node_id, status=NodeStatus.RUNNING, **changes)
        self._submit_execution(node, in_flight, pool)

    # ---- executing and grading -------------------------------------------------------------
    def _submit_execution(
        self, node: Node, in_flight: dict[Future[Any], _InFlight], pool: Pool
    ) -> None:
        workdir = self.folder.node_dir(node.id)
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        request = ExecutionRequest(
            script=node.code,
            workdir=workdir,
            public_dir=self.task.public_dir,
            limits=self.limits,
            hidden_paths=self.hidden_paths(),
        )
        node = self.journal.update(node.id, attempts=node.attempts + 1, started_at=time.time())
        self.observer.on_started(self, node)
        in_flight[pool.submit(request)] = _InFlight("execute", node.id)

    def hidden_paths(self) -> tuple[Path, ...]:
        """What a candidate must never reach: answers, task folders, runs and their journals."""
        paths = {
            self.task.root,
            self.task.private_dir,
            self.folder.root,
            Path(self.config.runs_dir).resolve(),
            data_home().resolve(),
        }
        return tuple(sorted(paths))

    def _on_executed(
        self,
        node_id: int,
        future: Future[PoolResult],
        in_flight: dict[Future[Any], _InFlight],
        pool: Pool,
    ) -> None:
        node = self.journal.get(node_id)
        try:
            result = future.result()
        except Exception as exc:  # the worker, not the candidate, failed
            if node.attempts < MAX_EXECUTION_ATTEMPTS:
                self.observer.on_message(self, f"node {node_id}: worker failed ({exc}); retrying")
                self._submit_execution(node, in_flight, pool)
                return
            node = self.journal.update(
                node_id,
                status=NodeStatus.LOST,
                failure="lost",
                error=f"worker failed {node.attempts} times: {exc}",
                finished_at=time.time(),
            )
            self.observer.on_finished(self, node)
            return
        if result.execution.cancelled:
            raise RunCancelledError(
                f"node {node_id}: its execution was cancelled; it runs again on resume"
            )
        changes = self._grade(node, result)
        if self.analysis_enabled:
            graded = node.model_copy(update=changes)
            future = self._writers.submit(
                analyse_execution, self.backend, self.task, graded, self.prompt_settings
            )
            in_flight[future] = _InFlight("analyse", node_id, changes)
            return
        node = self.journal.update(node_id, **changes)
        self.observer.on_finished(self, node)

    def _on_analysed(self, item: _InFlight, future: Future[Any]) -> None:
        """Record the graded node with the model's account of its run (a failed analysis is
        noted, never fatal)."""
        node = self.journal.get(item.node_id)
        changes = dict(item.changes or {})
        try:
            summary, usage = future.result()
        except ReplayMismatchError:
            raise
        except Exception as exc:
            changes["meta"] = {**node.meta, "analysis_error": f"{type(exc).__name__}: {exc}"}
        else:
            changes.update(
                meta={
                    **node.meta,
                    "analysis": summary,
                    "llm_calls": node.meta.get("llm_calls", 0) + usage.calls,
                },
                tokens_in=node.tokens_in + usage.tokens_in,
                tokens_out=node.tokens_out + usage.tokens_out,
                cost_usd=node.cost_usd + usage.cost_usd,
            )
        node = self.journal.update(item.node_id, **changes)
        self.observer.on_finished(self, node)

    def _grade(self, node: Node, result: PoolResult) -> dict[str, Any]:
        execution = result.execution
        workdir = self.folder.node_dir(node.id)
        if execution.submission is not None:
            (workdir / SUBMISSION_FILE).write_bytes(execution.submission)
        changes: dict[str, Any] = dict(
            exit_code=execution.exit_code,
            exec_seconds=execution.duration_s,
            peak_memory_mb=execution.peak_memory_mb,
            stdout_tail=execution.stdout_tail,
            stderr_tail=execution.stderr_tail,
            self_reported_score=parse_self_reported_score(execution.stdout_tail),
            started_at=result.started_at,
            finished_at=result.finished_at,
            worker=result.worker,
            sandbox=execution.sandbox,
        )
        failure = execution.failure
        if failure is not None:
            return {
                **changes,
                "status": NodeStatus.BUGGY,
                "failure": failure,
                "error": self._failure_text(failure, execution.stderr_tail),
            }
        grade = self.grader.grade(execution.submission, ("search", "select"))
        if not grade.valid:
            return {
                **changes,
                "status": NodeStatus.BUGGY,
                "failure": "invalid_submission",
                "error": grade.reason,
            }
        return {
            **changes,
            "status": NodeStatus.GOOD,
            "search_score": grade.scores["search"],
            "select_score": grade.scores["select"],
        }

    def _failure_text(self, failure: str, stderr: str) -> str:
        if failure == "timeout":
            return f"exceeded the time limit of {self.limits.time_s:g} s"
        if failure == "memory":
            return f"exceeded the memory limit of {self.limits.memory_mb} MB"
        if failure == "no_submission":
            return "finished without writing submission.csv"
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        return lines[-1][:500] if lines else "exited with an error and no message"


def execution_limits(config: RunConfig, task: Task) -> ExecutionLimits:
    """The task's limits with the run's overrides applied."""
    own = task.spec.limits
    override = config.limits
    return ExecutionLimits(
        time_s=override.time_s or own.time_s,
        memory_mb=override.memory_mb or own.memory_mb,
        cpus=override.cpus or own.cpus,
        gpus=own.gpus if override.gpus is None else override.gpus,
        limit_address_space=override.limit_address_space,
    )


def _write_candidate(
    operator: str, context: OperatorContext
) -> tuple[Candidate | None, float, str | None]:
    """Runs on a writer thread; a backend failure becomes a recorded error, not a crash."""
    started = time.monotonic()
    try:
        candidate = OPERATORS.get(operator).apply(context)
    except ReplayMismatchError:
        raise  # the replay is invalid: stop the run
    except Exception as exc:
        return None, time.monotonic() - started, f"{type(exc).__name__}: {exc}"
    if not candidate.code.strip():
        return None, time.monotonic() - started, "the backend returned no code"
    return candidate, time.monotonic() - started, None
