"""The end of a run: choose the final node on the hidden `select` split, score it once on `test`.

Protocol (hidden consistent evaluation): the best `top_k` nodes by `search` score are compared on
`select`, which the policy never saw; the winner — ties go to the better search score, then to the
earlier node — is the only node scored on `test`, unless the run asks to score every node on
`test` for analysis, which happens after the choice and cannot change it.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import airlab
from airlab.backends.llm.record import charging
from airlab.backends.routing import model_map
from airlab.grading.grader import Grader
from airlab.journal import CallRecord, Node, NodeStatus, SearchTree
from airlab.journal.edit import edit_counts
from airlab.plans.grading import RUBRIC_TEST_META, RubricGrader
from airlab.result import (
    RESULT_SCHEMA_VERSION,
    UNCLASSIFIED_FAMILY,
    PurposeSpend,
    RelativeScores,
    RunResult,
    RunStatus,
    SplitScores,
)
from airlab.runner.config import Selection
from airlab.sandbox.base import SUBMISSION_FILE

PLAN_FILE = "plan.md"
"""A text task's final candidate in the run's `best/` folder."""

if TYPE_CHECKING:
    from airlab.runner.search import Search
    from airlab.tasks.spec import TaskSpec


def choose_final(nodes: Sequence[Node], *, maximize: bool, selection: Selection) -> Node | None:
    """The node the run submits, by the configured protocol (see the module docstring)."""
    tree = SearchTree.from_nodes(nodes, maximize=maximize, fitness_source=selection.fitness)
    if selection.fitness == "self_reported":
        best = tree.best()
        return None if best is None else _by_id(nodes, best.id)
    top = [_by_id(nodes, node.id) for node in tree.ranked()[: selection.top_k]]
    if not top:
        return None
    sign = 1.0 if maximize else -1.0

    def key(node: Node) -> tuple[float, float, int]:
        select = node.select_score if node.select_score is not None else -sign * math.inf
        return (-sign * select, -sign * (node.search_score or 0.0), node.id)

    return min(top, key=key)


def _by_id(nodes: Sequence[Node], node_id: int) -> Node:
    return next(node for node in nodes if node.id == node_id)


def score_on_test(search: Search, node: Node) -> float | None:
    """The node's submission scored on the hidden test split (None: none, or not valid)."""
    if isinstance(search.grader, RubricGrader):
        return _judge_on_test(search, search.grader, node)
    submission = search.folder.node_dir(node.id) / SUBMISSION_FILE
    data = submission.read_bytes() if submission.is_file() else None
    grade = search.grader.grade(data, ("test",))
    return grade.scores.get("test") if grade.valid else None


def _judge_on_test(search: Search, grader: RubricGrader, node: Node) -> float | None:
    """A text node judged once on the `test` items (charged to it); its verdicts join the
    node's others."""
    with charging(node.id):
        grade = grader.grade(node.code, ("test",))
    calls = search.ledger.for_node(node.id).calls
    spend = {"llm_calls": calls, **search.node_spend(node.id)} if calls else {}
    search.journal.annotate(node.id, {RUBRIC_TEST_META: grade.to_meta(grader.texts)}, **spend)
    return grade.scores.get("test")


def finalize_search(search: Search) -> RunResult:
    """Write the run's lessons (with `--lessons`), choose, score on test, copy the best
    solution, and write `result.json` (idempotent)."""
    journal = search.journal
    lessons = None
    if search.config.lessons is not None:
        from airlab.lessons import writer

        if writer.lessons_due(search):  # made before any hidden split is read for the choice
            lessons = writer.lessons_of_run(search)
    if search.config.selection.ensemble:
        add_ensemble(search)
    final = choose_final(
        journal.nodes(), maximize=search.task.spec.maximize, selection=search.config.selection
    )
    if final is not None and final.test_score is None:
        final = journal.update(final.id, test_score=score_on_test(search, final))
    if search.config.selection.score_all_nodes:
        for node in journal.nodes():
            if node.is_good and node.test_score is None:
                journal.update(node.id, test_score=score_on_test(search, node))
    if final is not None:
        _copy_best(search, final)
    if lessons is not None:  # stored once every hidden score exists, for the guard to check
        writer.store_for_run(search, lessons)
    result = build_result(search, final)
    if not result.valid_submission:  # a spent budget without a valid submission is no success
        result = result.model_copy(update={"status": RunStatus.NO_VALID_SOLUTION})
    result.write(search.folder.result)
    journal.set_meta(
        status=result.status.value,
        final_node=None if final is None else final.id,
        finished_at=time.time(),
    )
    return result


def add_ensemble(search: Search) -> None:
    """The SoCE node of `selection.ensemble`, once per run (a resumed finalisation keeps the
    first); a run it cannot help (one valid node, a metric that grades files as written)
    records why in the journal's `ensemble` meta and goes on without it."""
    if any(node.operator == "ensemble" for node in search.journal.nodes()):
        return
    from airlab.ensemble.build import add_ensemble_node  # scipy: only when asked for
    from airlab.ensemble.soce import EnsembleError

    grader = search.grader
    assert isinstance(grader, Grader)  # a text task refuses --ensemble when it is created
    try:
        report = add_ensemble_node(search.journal, search.folder, grader)
    except EnsembleError as exc:
        search.journal.set_meta(ensemble=f"no ensemble: {exc}")
        return
    search.journal.set_meta(ensemble=f"node {report.node}")


def _copy_best(search: Search, node: Node) -> None:
    best = search.folder.best
    best.mkdir(exist_ok=True)
    if search.task.is_text:
        (best / PLAN_FILE).write_text(node.code)
        return
    (best / "solution.py").write_text(node.code)
    submission = search.folder.node_dir(node.id) / SUBMISSION_FILE
    if submission.is_file():
        shutil.copy2(submission, best / SUBMISSION_FILE)


def write_failed_result(search: Search, error: str) -> RunResult:
    """A run stopped by its backend: no final node yet; it resumes once the cause is fixed."""
    result = build_result(search, None, status=RunStatus.FAILED, error=error)
    result.write(search.folder.result)
    return result


def build_result(
    search: Search,
    final: Node | None,
    *,
    status: RunStatus = RunStatus.COMPLETE,
    error: str | None = None,
) -> RunResult:
    """The run's summary, read by `airlab rank` and reports."""
    all_nodes = search.journal.nodes()
    nodes = [n for n in all_nodes if n.status != NodeStatus.CANCELLED]
    spec = search.task.spec
    drafts = [n for n in nodes if n.operator == "draft"]
    first_draft = next((n for n in drafts if n.is_good), None)
    best_search = SearchTree.from_nodes(all_nodes, maximize=spec.maximize).best()
    spend = search.ledger.total()
    config = search.config
    baseline = spec.baseline.score if spec.baseline else None
    reference = spec.reference.score if spec.reference else None
    optimal = search.grader.metric.best_value if spec.optimal_score is None else spec.optimal_score
    leaderboard = search.task.leaderboard_scores()
    test = None if final is None else final.test_score
    return RunResult(
        schema_version=RESULT_SCHEMA_VERSION,
        run_id=search.folder.root.name,
        agent=config.agent_label,
        agent_hash=(search.journal.get_meta("agent") or {}).get("hash"),
        task=spec.name,
        seed=config.seed,
        policy=config.policy,
        operators=config.operators,
        backend=config.backend,
        metric=spec.metric,
        direction=spec.direction,
        status=status,
        error=error,
        stop_reason=search.stop_reason or search.journal.get_meta("stop_reason"),
        warnings=search.warnings(),
        final_node=None if final is None else final.id,
        scores=SplitScores(
            search=None if final is None else final.search_score,
            select=None if final is None else final.select_score,
            test=None if final is None else final.test_score,
        ),
        self_reported_score=None if final is None else final.self_reported_score,
        valid_submission=final is not None and final.test_score is not None,
        best_search_score=None if best_search is None else best_search.search_score,
        first_draft_search_score=None if first_draft is None else first_draft.search_score,
        baseline=baseline,
        reference=reference,
        optimal=optimal,
        worst=spec.worst_score,
        leaderboard=leaderboard,
        relative_scores=(
            RelativeScores()
            if status == "failed"
            else _relative(test, spec, baseline, reference, optimal, leaderboard)
        ),
        nodes=len(nodes),
        good_nodes=sum(1 for n in nodes if n.is_good),
        buggy_nodes=sum(1 for n in nodes if n.status == NodeStatus.BUGGY),
        lost_nodes=sum(1 for n in nodes if n.status == NodeStatus.LOST),
        failures=failure_counts(nodes),
        edits=edit_counts(n.meta for n in nodes).as_dict(),
        elapsed_s=round(search.elapsed_s, 3),
        tokens_in=spend.tokens_in,
        tokens_out=spend.tokens_out,
        cost_usd=round(spend.cost_usd, 6),
        llm_calls=spend.calls,
        failed_llm_calls=spend.failed,
        spend_by_purpose=_spend_by_purpose(search.ledger.calls()),
        models=model_map(search.backend),
        spend_by_model=_spend_by_model(search.ledger.calls()),
        draft_families=[n.info.family or UNCLASSIFIED_FAMILY for n in drafts],
        workers=config.workers,
        llm_concurrency=config.llm_concurrency,
        sandbox=search.sandbox.describe(),
        airlab_version=airlab.__version__,
    )


def _relative(
    test: float | None,
    spec: TaskSpec,
    baseline: float | None,
    reference: float | None,
    optimal: float | None,
    leaderboard: list[float] | None,
) -> RelativeScores:
    """The test score against the task's benchmark numbers, by the function `airlab report`
    uses (imported here, at the end of a run: the evaluation package is slow to import)."""
    from airlab.evaluation.tables import relative_scores

    return relative_scores(
        test,
        spec.direction,
        baseline=baseline,
        reference=reference,
        optimal=optimal,
        worst=spec.worst_score,
        leaderboard=leaderboard,
    )


def failure_counts(nodes: Sequence[Node]) -> dict[str, int]:
    """Failure → how many of `nodes` ended with it, most common first (ties by name)."""
    counts = Counter(str(n.failure) for n in nodes if n.failure is not None)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _spend_by_purpose(calls: Sequence[CallRecord]) -> dict[str, PurposeSpend]:
    table: dict[str, PurposeSpend] = {}
    for call in calls:
        _add(table.setdefault(call.purpose, PurposeSpend()), call)
    return dict(sorted(table.items()))


def _spend_by_model(calls: Sequence[CallRecord]) -> dict[str, dict[str, PurposeSpend]]:
    table: dict[str, dict[str, PurposeSpend]] = {}
    for call in calls:
        _add(table.setdefault(call.backend, {}).setdefault(call.purpose, PurposeSpend()), call)
    return {model: dict(sorted(rows.items())) for model, rows in sorted(table.items())}


def _add(row: PurposeSpend, call: CallRecord) -> None:
    row.calls += 1
    row.failed += call.error is not None
    row.tokens_in += call.tokens_in
    row.tokens_out += call.tokens_out
    row.cached_in += call.cached_in
    row.reasoning_out += call.reasoning_out
    row.cost_usd = round(row.cost_usd + call.cost_usd, 8)
