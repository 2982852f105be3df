"""The search as ask/tell over a journal (after Optuna's `Study.ask` / `Study.tell`).

`Search` knows *what* happens to a node and records it; it owns no thread and no worker. A driver
(`Run`, the gym, a notebook) decides *when and where*:

    proposal = search.ask()                   # the policy's next step, now a PROPOSED node
    written = search.write(proposal)          # the operator and its model (any thread)
    node = search.tell_written(written)       # QUEUED, or a recorded failure
    request = search.start(node.id)           # RUNNING; run it anywhere (a sandbox, a pool)
    graded = search.tell_executed(node.id, pool_result)
    graded = search.analyse(graded)           # optional: the model's account (any thread)
    node = search.tell(graded)                # finished: GOOD or BUGGY, durable
    result = search.finalize()                # the final node, chosen on `select`, scored on `test`

Every model call of these steps is charged to its node in the usage ledger, and budgets are
checked before each call as well as before each step. A provider failure that no later call can
escape (refused key, unknown or invalid model, out of credits or quota) stops the search at the
first one, from whichever call it came; other fatal failures (no server, retries exhausted) and
refused answers stop it after `max_backend_failures` in a row (`fatal_error`).
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import airlab
from airlab.backends import Backend, Candidate, ChatModel
from airlab.backends.llm import LLM_CALLS_FILE, MeteredChatModel
from airlab.backends.llm.failures import ProviderError, ProviderFailure
from airlab.backends.llm.record import charging
from airlab.backends.routing import build_chat_backend
from airlab.errors import (
    BackendError,
    BackendUnavailableError,
    BudgetExhaustedError,
    ConfigError,
    ReplayMismatchError,
    SandboxError,
)
from airlab.failures import Failure
from airlab.grading.grader import Grader
from airlab.grading.self_report import parse_self_reported_score
from airlab.journal import Journal, Ledger, Node, NodeStatus, SearchTree
from airlab.lessons.store import RetrievedLesson
from airlab.operators import OPERATOR_SETS, OPERATORS, OperatorContext, operator_options
from airlab.operators.analysis import analyse_execution
from airlab.operators.checks import Checks, candidate_problem
from airlab.operators.ideation import IDEA_META, next_idea, propose_run_ideas
from airlab.operators.prompt_library import PromptLibrary
from airlab.operators.prompting import PromptSettings, family_examples, task_variables
from airlab.plans.build import make_judge
from airlab.plans.grading import RUBRIC_META, RubricGrader, TextGrade
from airlab.policies import POLICY_META, Policy, make_policy
from airlab.result import FINISHED, RunResult, RunStatus
from airlab.runner.config import RunConfig
from airlab.runner.layout import RunFolder, open_run
from airlab.runner.pool import POOLS, PoolResult
from airlab.sandbox import Sandbox, get_sandbox
from airlab.sandbox.base import SUBMISSION_FILE, Execution, ExecutionLimits, ExecutionRequest
from airlab.sandbox.packages import Packages, probe_packages
from airlab.tasks import Task, data_home, resolve_task
from airlab.tasks.checks import require_task_data
from airlab.tasks.provenance import hidden_data, lookup_warning

if TYPE_CHECKING:
    from airlab.agents.folder import Agent

MAX_EXECUTION_ATTEMPTS = 3
JUDGE_CALLS_FILE = "judge_calls.jsonl"
"""Calls of judges built apart from the generator (a jury's members), one JSON line each."""


@dataclass(frozen=True)
class Proposal:
    """A step the policy chose, recorded as a PROPOSED node, with what its operator may use."""

    node: Node
    context: OperatorContext


@dataclass(frozen=True)
class Written:
    """What writing a proposal produced: a candidate, or why there is none."""

    node_id: int
    candidate: Candidate | None
    seconds: float
    error: str | None = None
    failure: Failure | None = None
    grade: TextGrade | None = None
    """A text task's candidate, judged on `search` and `select` as it was written."""


@dataclass(frozen=True)
class Graded:
    """An executed node's recorded outcome, before it is told (analysis may still add to it)."""

    node_id: int
    changes: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


CommandRunner = Callable[[ExecutionRequest], Execution]
"""Runs one execution request to its end (ReAct's commands go through the run's pool)."""


class Search:
    """A search on one task with one policy and backend, over a run folder's journal."""

    def __init__(
        self,
        config: RunConfig,
        folder: RunFolder,
        journal: Journal,
        task: Task,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.config = config
        self.prompts = PromptLibrary(folder.agent / "prompts")
        """The run's templates: its agent's `prompts/` (copied into the run folder) first."""
        self.folder = folder
        self.journal = journal
        self.task = task
        self.ledger = Ledger(journal)
        self.operator_set = OPERATOR_SETS.get(config.operators)
        self.operators: tuple[str, ...] = self.operator_set.operators
        backend: Backend = build_chat_backend(
            config.backend, config.backend_options, config.models, config.model_options
        )
        if isinstance(backend, ChatModel):
            backend = MeteredChatModel(
                backend,
                folder.root / LLM_CALLS_FILE,
                self.ledger,
                self.check_call_budget,
                on_failure=self._on_call_failed,
            )
        self.backend = backend
        self.policy: Policy = make_policy(
            config.policy, config.policy_params, self.operators, self.backend
        )
        self.operator_params = operator_options(config.operators, config.operator_options)
        """The operator set's cues, overridden by the run's own operator options, typed."""
        self.prompt_settings = PromptSettings.from_options(self.operator_params)
        self.analysis_enabled = (
            isinstance(self.backend, ChatModel) and self.operator_params.analysis
        )
        self.sandbox: Sandbox = sandbox if sandbox is not None else get_sandbox(config.sandbox)
        self.run_commands: CommandRunner | None = None
        """Set by the driver so that ReAct's commands run on its pool; None: on `sandbox`."""
        self.grader: Grader | RubricGrader = (
            RubricGrader(task, self._make_judge()) if task.is_text else Grader(task)
        )
        """Rows against hidden answers; for a plan or revision task, a judge on the hidden
        rubric's items (`airlab.plans`), with the same search / select / test protocol."""
        if isinstance(self.grader, Grader):
            self.grader.metric.warm()
        self.limits = execution_limits(config, task)
        self.stop_reason: str | None = None
        self.fatal_error: str | None = None
        """Set when the backend failed fatally too often: the driver stops the run."""
        self._fatal_in_a_row = 0
        self._refused_in_a_row = 0
        self._session_started = time.monotonic()
        self._elapsed_before = float(journal.get_meta("elapsed_s", 0.0))
        self._packages: Packages | None = None
        self._lessons: tuple[RetrievedLesson, ...] | None = None
        self.checks = Checks.from_options(self.operator_params, self.task.spec.target_columns)
        """The checks a written candidate passes before it may run."""

    def _make_judge(self) -> Any:
        """The run's judge: its own calls are metered like the generator's (ledger rows with
        purpose `judge`, checked against the budget), in `judge_calls.jsonl`."""

        def meter(model: ChatModel) -> ChatModel:
            return MeteredChatModel(
                model,
                self.folder.root / JUDGE_CALLS_FILE,
                self.ledger,
                self.check_call_budget,
                on_failure=self._on_call_failed,
            )

        return make_judge(
            self.config.judge, self.backend, options=self.config.backend_options, meter=meter
        )

    # ---- creating and reopening ------------------------------------------------------------
    @classmethod
    def create(
        cls, config: RunConfig, agent: Agent | None = None, *, sandbox: Sandbox | None = None
    ) -> Search:
        """Validate everything, then make the run folder and its journal. With `agent`, the
        folder keeps a copy of it and the journal its name and content hash. The policy,
        operators, pool and sandbox are checked before the task is resolved (a first use
        prepares its data, which a typo should not wait for); the backend is built once the
        data passed its check. With `sandbox`, candidates run in that one (a gym environment's,
        kept across its episodes, so that a warm one's interpreters are started once) rather
        than in a new one made from `config.sandbox`."""
        operator_set = OPERATOR_SETS.get(config.operators)
        make_policy(config.policy, config.policy_params, operator_set.operators)
        operator_options(config.operators, config.operator_options)
        POOLS.parse_params(config.pool, config.pool_options)
        POOLS.get(config.pool).check_available()
        if sandbox is None:
            sandbox = get_sandbox(config.sandbox)
        if config.lessons is not None:
            from airlab.lessons.writer import check_store

            check_store(config.lessons)
        task = resolve_task(config.task)
        require_task_data(task)  # broken data fails here, before any folder, step or model call
        if task.is_text:
            _check_text_run(config, task)
        backend = build_chat_backend(
            config.backend, config.backend_options, config.models, config.model_options
        )
        _refuse_unbindable_cost(config, backend)
        folder = RunFolder.new(config.runs_dir, task.name, config.policy, config.run_name)
        folder.config.write_text(config.to_yaml())
        if agent is not None:
            from airlab.agents.folder import copy_agent  # airlab.agents imports the runner

            copy_agent(agent, folder.agent)
        journal = Journal.create(
            folder.journal,
            meta=dict(
                config=config.model_dump(mode="json"),
                operator_set=operator_set.to_dict(),
                task_name=task.name,
                task_root=str(task.root),
                metric=task.spec.metric,
                direction=task.spec.direction,
                status=RunStatus.RUNNING,
                created_at=time.time(),
                airlab_version=airlab.__version__,
                elapsed_s=0.0,
                **({"agent": agent.record()} if agent is not None else {}),
            ),
        )
        search = cls(config, folder, journal, task, sandbox)
        _ = search.packages  # probed now, before any driver or pool runs candidates
        if config.lessons is not None:
            from airlab.lessons.writer import retrieve_for_run

            retrieve_for_run(search)
        return search

    @classmethod
    def open(cls, root: Path, *, workers: int | None = None) -> Search:
        """Reopen a run folder (migrating an older journal); `workers` may change, nothing else."""
        run = open_run(
            root, read_only=False, update=None if workers is None else {"workers": workers}
        )
        _check_agent_copy(run.folder, run.journal.get_meta("agent"))
        task = resolve_task(run.task_ref)
        return cls(run.config, run.folder, run.journal, task)

    @property
    def status(self) -> RunStatus:
        return self.journal.meta().status

    @property
    def complete(self) -> bool:
        """Finished: complete, or ended without a valid solution (the result is final)."""
        return self.status in FINISHED

    # ---- budget ----------------------------------------------------------------------------
    @property
    def elapsed_s(self) -> float:
        return self._elapsed_before + time.monotonic() - self._session_started

    def save_elapsed(self) -> None:
        self.journal.set_meta(elapsed_s=self.elapsed_s)

    def counted_nodes(self) -> list[Node]:
        """Nodes that count as steps: every node but cancelled ones."""
        return [n for n in self.journal.nodes() if n.status != NodeStatus.CANCELLED]

    def budget_reason(self) -> str | None:
        """Why no further step may start, or None."""
        budget = self.config.budget
        if budget.steps is not None and len(self.counted_nodes()) >= budget.steps:
            return f"step budget reached ({budget.steps})"
        if self.time_is_up():
            return f"time budget reached ({budget.time_s:g} s)"
        return self._spend_reason()

    def _spend_reason(self) -> str | None:
        budget = self.config.budget
        spend = self.ledger.total()
        if spend.unreported and (budget.tokens is not None or budget.cost_usd is not None):
            which = "token" if budget.tokens is not None else "cost"
            return (
                f"the {which} budget cannot be measured: {spend.unreported} call(s) came back "
                "without usage or were abandoned at their timeout (billed, but unknown)"
            )
        if budget.tokens is not None and spend.tokens >= budget.tokens:
            return f"token budget reached ({budget.tokens})"
        if budget.cost_usd is not None and spend.cost_usd >= budget.cost_usd:
            return f"cost budget reached (${budget.cost_usd:g})"
        return None

    def check_call_budget(self) -> None:
        """Called before every model call: a spent budget refuses it instead of overshooting,
        and a run that is stopping for its backend sends nothing more."""
        if self.fatal_error is not None:
            raise BackendError(f"not sent: {self.fatal_error}", fatal=True)
        reason = self._spend_reason()
        if reason is not None:
            raise BudgetExhaustedError(reason)

    def time_is_up(self) -> bool:
        return self.config.budget.time_s is not None and self.elapsed_s >= self.config.budget.time_s

    def warnings(self) -> list[str]:
        """What the run's numbers cannot vouch for (answers a candidate could look up, spend
        the books could not count); shown in the header and kept in result.json."""
        lookup = lookup_warning(self.task.spec, self.sandbox)
        found = [] if lookup is None else [lookup]
        budget = self.config.budget
        for model in unpriced_models(self.backend):
            if budget.cost_usd is not None:
                found.append(
                    f"--cost: model {model!r} has no price in the table, so its calls cost "
                    "nothing by the books and the cost budget cannot stop the run (add a price "
                    "with -B prices=FILE, or use --tokens)"
                )
            else:
                found.append(
                    f"model {model!r} has no price in the table: its tokens are counted, its "
                    "cost is unknown (add a price with -B prices=FILE)"
                )
        spend = self.ledger.total()
        if spend.unreported:
            found.append(
                f"{spend.unreported} call(s) came back without usage or were abandoned at their "
                "timeout: their tokens are unknown (the server's count may be higher than the "
                "run's), so --tokens and --cost cannot be measured"
            )
        if spend.unpriced and budget.cost_usd is None:
            found.append(f"{spend.unpriced} call(s) to an unpriced model: their cost is unknown")
        return found

    @property
    def lessons(self) -> tuple[RetrievedLesson, ...]:
        """The lessons from earlier tasks this run retrieved when it was created (none without
        `--lessons`, or with `--lessons-mode write`)."""
        if self._lessons is None:
            from airlab.lessons.writer import run_lessons

            self._lessons = run_lessons(self)
        return self._lessons

    @property
    def packages(self) -> Packages | None:
        """What the candidates' sandbox can import (prompts name it, imports are checked against
        it; every backend, as the gym renders prompts for an outside model over the templates
        backend): probed once per run when it is created, kept in the journal's metadata so a
        resumed run does not probe again; None when the probe does not answer."""
        if self._packages is None and not self.task.is_text:  # a text is never run
            stored = self.journal.get_meta("packages")
            if stored is None:
                try:
                    stored = probe_packages(self.sandbox).to_meta()
                except (RuntimeError, SandboxError) as exc:
                    stored = {"error": _one_line(exc)}
                self.journal.set_meta(packages=stored)
            if "error" not in stored:
                self._packages = Packages.from_meta(stored)
        return self._packages

    # ---- preflight -------------------------------------------------------------------------
    def preflight(self) -> None:
        """One cheap call before the first step: a backend that cannot work stops the run here."""
        if not isinstance(self.backend, ChatModel):
            return
        try:
            with charging(None):
                self.backend.preflight()
        except BackendError as exc:
            if not exc.fatal:
                return  # a flaky answer is not a reason to refuse the run
            self.fail(f"preflight failed: {exc}")

    def _on_call_failed(self, exc: BackendError) -> None:
        """Any thread, as a call fails: a definitive failure stops the run before its next
        call (the guard refuses it) instead of after a few steps."""
        if isinstance(exc, ProviderError) and exc.stops_run and self.fatal_error is None:
            self.fatal_error = str(exc)

    def fail(self, message: str) -> None:
        self.fatal_error = message
        self.journal.set_meta(status=RunStatus.FAILED, error=message)
        raise BackendUnavailableError(message)

    # ---- ask -------------------------------------------------------------------------------
    def tree(self) -> SearchTree:
        """The policy's view: hidden select/test scores dropped."""
        return SearchTree.from_nodes(
            self.journal.nodes(),
            maximize=self.task.spec.maximize,
            fitness_source=self.config.selection.fitness,
            runtime_weight=self.config.selection.runtime_weight,
            time_limit_s=self.limits.time_s,
        )

    def ask(self) -> Proposal | None:
        """The next step as a PROPOSED node, or None: budget spent (`stop_reason` says so) or
        the policy waits for a running candidate."""
        reason = self.budget_reason()
        if reason is not None:
            self.stop_reason = reason
            return None
        rng = np.random.default_rng([self.config.seed, len(self.journal), 11])
        try:
            with charging(None) as charge:  # a policy's own calls (LLM-first's choice)
                step = self.policy.propose(self.tree(), rng)
                idea = self.next_idea(step.operator) if step is not None else None
        except BudgetExhaustedError as exc:
            self.stop_reason = str(exc)
            return None
        except ReplayMismatchError:
            raise
        except BackendError as exc:  # a policy that lets its call's failure through
            self.fail(f"the policy {self.config.policy!r} could not choose a step: {exc}")
        if step is None:
            if not self.tree().in_flight:
                self.stop_reason = "the policy has nothing left to propose"
            return None
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
            meta={
                **({POLICY_META: step.meta} if step.meta else {}),
                **({IDEA_META: idea} if idea is not None else {}),
            }
            or None,
        )
        self.ledger.assign(charge.call_ids, node.id)
        return self.proposal(node)

    def next_idea(self, operator: str) -> dict[str, Any] | None:
        """With `-O ideas=K`, the idea the next draft is written from: the first draft asks
        the backend for K (one call, charged to that draft; kept in the journal's meta, so a
        resumed run reuses them); drafts after the K-th get none."""
        k = self.operator_params.ideas
        if operator != "draft" or k == 0:
            return None
        ideas = self.journal.get_meta("ideas")
        if ideas is None:
            try:
                ideas = propose_run_ideas(
                    self.backend,
                    self.task,
                    k=k,
                    level=self.operator_params.idea_diversity,
                    seed=self.config.seed,
                    prompt_bits=lambda: task_variables(
                        self.task, self.limits, self.prompt_settings, self.packages
                    ),
                    prompts=self.prompts,
                    families=self._idea_families(),
                )
            except ReplayMismatchError:
                raise
            except BackendError as exc:
                if isinstance(exc, ProviderError) and exc.stops_run:
                    raise
                ideas = []
                self.journal.set_meta(ideation_error=f"{exc}"[:300])
            self.journal.set_meta(ideas=ideas)
        drafts = sum(1 for node in self.journal.nodes() if node.operator == "draft")
        return next_idea(ideas, drafts)

    def _idea_families(self) -> tuple[str, ...]:
        """The families a run assigns to its ideas (`-O assign_families=true`): those the
        prompts name as examples on this machine; none when the model chooses."""
        if not self.operator_params.assign_families:
            return ()
        return family_examples(self.packages)

    def add_step(
        self, operator: str, parent_ids: tuple[int, ...] = (), *, note: str = ""
    ) -> Proposal:
        """Record a step chosen outside the policy (the gym, a trainer) as a PROPOSED node.

        Budgets are not checked here: the caller decides how many steps it takes."""
        if operator not in self.operators:
            raise ConfigError(
                f"operator {operator!r} is not in operator set {self.config.operators!r} "
                f"({', '.join(self.operators)})"
            )
        depth = 0
        if operator == "debug":
            depth = self.journal.get(parent_ids[0]).debug_depth + 1
        node = self.journal.add(operator, parent_ids, note=note, debug_depth=depth)
        return self.proposal(node)

    def proposal(self, node: Node) -> Proposal:
        """What writing `node` needs (also for a node left PROPOSED by a killed session)."""
        tree = self.tree()
        context = OperatorContext(
            task=self.task,
            parents=tuple(tree.by_id[p] for p in node.parent_ids),
            history=tuple(n for n in tree.nodes if n.id != node.id and n.code),
            backend=self.backend,
            seed=self.config.seed,
            node_id=node.id,
            limits=self.limits,
            options=self.operator_params,
            sandbox=self.sandbox,
            scratch_dir=self.folder.root / "react" / f"{node.id:04d}",
            hidden_paths=self.hidden_paths(),
            hidden_data=hidden_data(self.task.spec),
            fitness_source=self.config.selection.fitness,
            execute=self.run_commands,
            prompts=self.prompts,
            lessons=self.lessons,
            packages=self.packages,
            idea=node.meta.get(IDEA_META),
        )
        return Proposal(node, context)

    # ---- write -----------------------------------------------------------------------------
    def write(self, proposal: Proposal) -> Written:
        """Apply the operator (any thread; no journal write but the ledger's)."""
        node = proposal.node
        started = time.monotonic()
        with charging(node.id):
            try:
                candidate = OPERATORS.get(node.operator).apply(proposal.context)
            except ReplayMismatchError:
                raise  # the replay is invalid: stop the run
            except BudgetExhaustedError as exc:
                return Written(node.id, None, time.monotonic() - started, str(exc), Failure.BUDGET)
            except BackendError as exc:
                failure = _write_failure(exc)
                return Written(node.id, None, time.monotonic() - started, str(exc), failure)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                return Written(node.id, None, time.monotonic() - started, error, Failure.NO_CODE)
        seconds = time.monotonic() - started
        if not candidate.code.strip():
            what = "text" if self.task.is_text else "code"
            return Written(
                node.id, None, seconds, f"the backend returned no {what}", Failure.NO_CODE
            )
        if isinstance(self.grader, RubricGrader):
            return self._judge_written(node.id, candidate, started)
        return Written(node.id, candidate, seconds)

    def _judge_written(self, node_id: int, candidate: Candidate, started: float) -> Written:
        """A text needs no sandbox: the judge grades it on `search` and `select` at once (its
        calls charged to the node, purpose `judge`)."""
        assert isinstance(self.grader, RubricGrader)
        with charging(node_id):
            try:
                grade = self.grader.grade(candidate.code, ("search", "select"))
            except ReplayMismatchError:
                raise
            except BudgetExhaustedError as exc:
                return Written(node_id, None, time.monotonic() - started, str(exc), Failure.BUDGET)
            except BackendError as exc:
                error = f"the judge failed: {exc}"
                failure = _write_failure(exc)
                return Written(node_id, None, time.monotonic() - started, error, failure)
        return Written(node_id, candidate, time.monotonic() - started, grade=grade)

    def tell_written(self, written: Written) -> Node:
        """Record what was written: QUEUED for a worker, or a failure (which a policy may debug),
        or CANCELLED when the step never counted (budget, time, an unreachable backend)."""
        node_id = written.node_id
        spend = self.node_spend(node_id)
        if written.failure in (Failure.BACKEND, Failure.BUDGET):
            if written.failure == Failure.BUDGET:
                self.stop_reason = self.stop_reason or written.error
            node = self.journal.update(
                node_id,
                status=NodeStatus.CANCELLED,
                failure=written.failure,
                error=written.error,
                generation_seconds=written.seconds,
                finished_at=time.time(),
                **spend,
            )
            if written.failure == Failure.BACKEND:
                self._fatal_in_a_row += 1
                if self._fatal_in_a_row >= self.config.max_backend_failures:
                    self.fatal_error = self.fatal_error or (
                        f"the backend failed {self._fatal_in_a_row} times in a row: {written.error}"
                    )
            return node
        if written.candidate is None:
            self._fatal_in_a_row = 0
            self._count_refusal(written)
            return self.journal.update(
                node_id,
                status=NodeStatus.BUGGY,
                failure=written.failure or Failure.NO_CODE,
                error=written.error,
                generation_seconds=written.seconds,
                finished_at=time.time(),
                **spend,
            )
        self._fatal_in_a_row = 0
        self._refused_in_a_row = 0
        candidate = written.candidate
        changes: dict[str, Any] = dict(
            plan=candidate.plan,
            code=candidate.code,
            meta={**self.journal.get(node_id).meta, **candidate.meta},
            generation_seconds=written.seconds,
            **spend,
        )
        if written.grade is not None:
            return self._tell_judged(node_id, written.grade, changes)
        if self.time_is_up():
            self.stop_reason = self.stop_reason or self.budget_reason()
            return self.journal.update(node_id, status=NodeStatus.CANCELLED, **changes)
        parents = [self.journal.get(p) for p in self.journal.get(node_id).parent_ids]
        problem = candidate_problem(candidate, parents, packages=self.packages, checks=self.checks)
        if problem is not None:
            failure, error = problem
            return self.journal.update(
                node_id,
                status=NodeStatus.BUGGY,
                failure=failure,
                error=error,
                finished_at=time.time(),
                **changes,
            )
        return self.journal.update(node_id, status=NodeStatus.QUEUED, **changes)

    def _tell_judged(self, node_id: int, grade: TextGrade, changes: dict[str, Any]) -> Node:
        """A judged text is finished as it is told: GOOD with its split scores, or BUGGY when
        the judge decided no item of a split (every verdict, failures included, is kept)."""
        assert isinstance(self.grader, RubricGrader)
        changes["meta"] = {**changes["meta"], RUBRIC_META: grade.to_meta(self.grader.texts)}
        calls = self.ledger.for_node(node_id).calls
        if calls:  # the writer's calls and the judge's
            changes["meta"]["llm_calls"] = calls
        if grade.failures:
            changes["meta"]["judge_failures"] = grade.failures
        now = time.time()
        if not grade.valid:
            return self.journal.update(
                node_id,
                status=NodeStatus.BUGGY,
                failure=Failure.INVALID_SUBMISSION,
                error=grade.reason,
                finished_at=now,
                **changes,
            )
        return self.journal.update(
            node_id,
            status=NodeStatus.GOOD,
            search_score=grade.scores["search"],
            select_score=grade.scores["select"],
            finished_at=now,
            **changes,
        )

    def _count_refusal(self, written: Written) -> None:
        """Refused answers in a row: past `max_backend_failures`, the model will not do this
        task (or its filter will not let it), and the run stops."""
        if written.failure != Failure.REFUSED:
            self._refused_in_a_row = 0
            return
        self._refused_in_a_row += 1
        if self._refused_in_a_row >= self.config.max_backend_failures:
            self.fatal_error = self.fatal_error or (
                f"the model refused {self._refused_in_a_row} answers in a row: {written.error}"
            )

    def node_spend(self, node_id: int) -> dict[str, Any]:
        spend = self.ledger.for_node(node_id)
        if spend.calls == 0:
            return {}
        return {
            "tokens_in": spend.tokens_in,
            "tokens_out": spend.tokens_out,
            "cost_usd": spend.cost_usd,
        }

    # ---- execute ---------------------------------------------------------------------------
    def start(self, node_id: int) -> ExecutionRequest:
        """Mark a queued (or re-queued) node RUNNING and return what a worker must run."""
        node = self.journal.get(node_id)
        workdir = self.folder.node_dir(node.id)
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        self.journal.update(
            node.id,
            status=NodeStatus.RUNNING,
            attempts=node.attempts + 1,
            started_at=time.time(),
        )
        return ExecutionRequest(
            script=node.code,
            workdir=workdir,
            public_dir=self.task.public_dir,
            limits=self.limits,
            hidden_paths=self.hidden_paths(),
            hidden_data=hidden_data(self.task.spec),
        )

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

    def tell_worker_failed(self, node_id: int, error: str) -> Node | None:
        """The worker, not the candidate, failed: None when it may run again (re-queued),
        else the node, marked LOST explicitly."""
        node = self.journal.get(node_id)
        if node.attempts < MAX_EXECUTION_ATTEMPTS:
            self.journal.update(node_id, status=NodeStatus.QUEUED)
            return None
        return self.journal.update(
            node_id,
            status=NodeStatus.LOST,
            failure=Failure.LOST,
            error=f"worker failed {node.attempts} times: {error}",
            finished_at=time.time(),
        )

    def tell_executed(self, node_id: int, result: PoolResult | Execution) -> Graded:
        """Grade an execution on the hidden search and select splits (nothing recorded yet).
        `result`: what a pool returned, or a bare `Execution` (a sandbox run by hand)."""
        if isinstance(result, Execution):
            now = time.time()
            result = PoolResult(result, "local", now - result.duration_s, now)
        execution = result.execution
        workdir = self.folder.node_dir(node_id)
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
            changes |= {
                "status": NodeStatus.BUGGY,
                "failure": failure,
                "error": self._failure_text(failure, execution.stderr_tail),
            }
            return Graded(node_id, changes)
        assert isinstance(self.grader, Grader)  # a text task's node is judged when written
        grade = self.grader.grade(execution.submission, ("search", "select"))
        if not grade.valid:
            changes |= {
                "status": NodeStatus.BUGGY,
                "failure": Failure.INVALID_SUBMISSION,
                "error": grade.reason,
            }
            return Graded(node_id, changes)
        changes |= {
            "status": NodeStatus.GOOD,
            "search_score": grade.scores["search"],
            "select_score": grade.scores["select"],
        }
        return Graded(node_id, changes)

    def _failure_text(self, failure: Failure, stderr: str) -> str:
        if failure == Failure.TIMEOUT:
            return f"exceeded the time limit of {self.limits.time_s:g} s"
        if failure == Failure.MEMORY:
            return f"exceeded the memory limit of {self.limits.memory_mb} MB"
        if failure == Failure.NO_SUBMISSION:
            return "finished without writing submission.csv"
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        return lines[-1][:500] if lines else "exited with an error and no message"

    # ---- analyse and tell --------------------------------------------------------------------
    def analyse(self, graded: Graded) -> Graded:
        """The model's account of the run (any thread); a failed analysis is noted, never fatal."""
        node = self.journal.get(graded.node_id).model_copy(update=graded.changes)
        assert isinstance(self.backend, ChatModel)
        try:
            with charging(graded.node_id):
                summary, _ = analyse_execution(
                    self.backend,
                    self.task,
                    node,
                    self.prompt_settings,
                    fitness_source=self.config.selection.fitness,
                    prompts=self.prompts,
                )
        except ReplayMismatchError:
            raise
        except Exception as exc:
            return Graded(graded.node_id, graded.changes, {"analysis_error": _one_line(exc)})
        return Graded(graded.node_id, graded.changes, {"analysis": summary})

    def tell(self, graded: Graded) -> Node:
        """Record the finished node (durable before the next step): the policy sees its score
        at once, whether or not an analysis of it is still to come."""
        node = self.journal.get(graded.node_id)
        changes = dict(graded.changes)
        spend = self.ledger.for_node(node.id)
        meta = {**node.meta, **graded.meta}
        if spend.calls:
            meta["llm_calls"] = spend.calls
            changes |= self.node_spend(node.id)
        if meta != node.meta:
            changes["meta"] = meta
        return self.journal.update(graded.node_id, **changes)

    def tell_analysis(self, analysed: Graded) -> Node:
        """Add the model's account of a finished node's run (from `analyse`), with its cost."""
        calls = self.ledger.for_node(analysed.node_id).calls
        spend = self.node_spend(analysed.node_id)
        return self.journal.annotate(analysed.node_id, analysed.meta, llm_calls=calls, **spend)

    # ---- resuming --------------------------------------------------------------------------
    def recover(self) -> tuple[list[Proposal], list[int], list[Node]]:
        """What a killed session left in flight: nodes to write again, nodes to run again, and
        nodes given up (started too often without ever finishing: marked LOST)."""
        to_write: list[Proposal] = []
        to_run: list[int] = []
        lost: list[Node] = []
        for node in self.journal.nodes():
            if node.status == NodeStatus.PROPOSED:
                to_write.append(self.proposal(node))
            elif node.status == NodeStatus.RUNNING and node.attempts >= MAX_EXECUTION_ATTEMPTS:
                lost.append(
                    self.journal.update(
                        node.id,
                        status=NodeStatus.LOST,
                        failure=Failure.LOST,
                        error=f"started {node.attempts} times, never finished (the run was killed)",
                        finished_at=time.time(),
                    )
                )
            elif node.status in (NodeStatus.RUNNING, NodeStatus.QUEUED):
                to_run.append(node.id)
        return to_write, to_run, lost

    # ---- the end ---------------------------------------------------------------------------
    def finalize(self) -> RunResult:
        from airlab.runner.finalize import finalize_search

        return finalize_search(self)

    def observed_latencies(self) -> tuple[float | None, float | None]:
        """Median model seconds per candidate (its write, plus its analysis when analyses are
        on) and median execution seconds, over this run so far (None until observed)."""
        nodes = self.journal.nodes()
        writes = [n.generation_seconds for n in nodes if n.generation_seconds]
        runs = [n.exec_seconds for n in nodes if n.exec_seconds]
        if not writes or not runs:
            return (statistics.median(writes) if writes else None), None
        model_s = statistics.median(writes)
        if self.analysis_enabled:
            analyses = [c.latency_s for c in self.ledger.calls() if c.purpose == "analysis"]
            model_s += statistics.median(analyses) if analyses else model_s
        return model_s, statistics.median(runs)


def _check_agent_copy(folder: RunFolder, recorded: Any) -> None:
    """A run goes on with the agent it began with: its copy in the run folder is unchanged."""
    if not isinstance(recorded, dict) or not folder.agent.is_dir():
        return
    from airlab.agents.folder import content_hash  # airlab.agents imports the runner

    began, now = str(recorded.get("hash", "")), content_hash(folder.agent)
    if now != began:
        raise ConfigError(
            f"{folder.agent}: changed since the run began (sha256 {began[:12]}, now {now[:12]});"
            " restore it to continue the run"
        )


def unpriced_models(backend: Backend) -> list[str]:
    """Models behind `backend` that are billed by a price table which does not list them."""
    inner = getattr(backend, "inner", backend)
    members = inner.members() if isinstance(inner, ChatModel) else ()
    found: list[str] = []
    for member in members:
        prices = getattr(member, "prices", None)
        model = str(getattr(member, "model", ""))
        if prices is not None and prices.lookup(model) is None and model not in found:
            found.append(model)
    return found


def _refuse_unbindable_cost(config: RunConfig, backend: Backend) -> None:
    """A cost budget over a model with no price could never stop the run: refuse it up front."""
    if config.budget.cost_usd is None:
        return
    missing = unpriced_models(backend)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise ConfigError(
            f"--cost {config.budget.cost_usd:g}: model {names} has no price in the table, so "
            "its calls would cost nothing by the books and the budget could not stop the run; "
            "add its price with -B prices=FILE (see docs/llm.md), or budget with --tokens"
        )


def _check_text_run(config: RunConfig, task: Task) -> None:
    """What a plan or revision run cannot do: there is no code to run, so no ReAct episode, no
    self-reported score and no ensemble of predictions."""
    kind = task.spec.kind
    if config.selection.fitness == "self_reported":
        raise ConfigError(f"--fitness self_reported: a {kind} task has no self-reported score")
    if config.selection.ensemble:
        raise ConfigError(f"--ensemble: a {kind} task has no predictions to mix")
    if config.operator_options.get("mode") == "react":
        raise ConfigError(f"-O mode=react: a {kind} task's candidate is a text, written at once")


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


def _write_failure(exc: BackendError) -> Failure:
    """How a failed write is recorded: a refused answer fails its node (billed, counted); a
    backend that cannot work cancels it (not counted); any other failure is `no_code`."""
    if isinstance(exc, ProviderError) and exc.kind == ProviderFailure.REFUSED:
        return Failure.REFUSED
    return Failure.BACKEND if exc.fatal else Failure.NO_CODE


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
