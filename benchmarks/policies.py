"""Benchmark: airlab's search policies against Optuna's TPE and random search.

Every method gets the same number of evaluated candidates on each task (by default the three
scikit-learn tasks, which keep the default size under 20 minutes; `--tasks all` runs the 12
bundled tasks a script solves, not the research plans), for several seeds. airlab's policies
search with the offline templates backend; TPE and random search pick templates recipes through
Optuna's ask/tell API (`optuna_space.py`).
Every candidate runs in the same sandbox and is scored by the same hidden grader; the final node
of every method is chosen the same way (best `top_k` by search score, then the hidden `select`
split) and scored on `test`.

    python benchmarks/policies.py                       # default size: < 20 min on 2 cores
    python benchmarks/policies.py --tasks all           # the 12 code tasks (about 4x longer)
    python benchmarks/policies.py --candidates 40 --seeds 5 --out bench-policies-large

The large size on every task (40 candidates x 5 seeds x 12 tasks x 6 methods) runs in parts, each
under an hour on 2 cores, into one folder (they share its execution cache), then one merge:

    for i in $(seq 1 12); do
        python benchmarks/policies.py --candidates 40 --seeds 5 --tasks all \
            --part $i/12 --out bench-policies-all
    done
    python benchmarks/policies.py --merge --out bench-policies-all

Writes `policies.md` (table and where airlab loses), `policies.png` (curves) and `results.json`.
Needs the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))

import execution_cache
from optuna_space import Evaluator, suggest_recipe
from parts import PART_FILE, code_revision, merge_parts, part_of, select_part
from policies_report import write_report

# The templates backend's own rules for the problem kind and the log target, so that both
# sides of the comparison search the same space.
from airlab.backends.templates.backend import positive_target, problem_of
from airlab.cli.run_commands import parse_pairs
from airlab.errors import AirlabError
from airlab.journal import Node, NodeStatus
from airlab.operators.sets import operator_options
from airlab.policies import POLICIES
from airlab.runner import Run, RunConfig
from airlab.runner.search import execution_limits
from airlab.sandbox import get_sandbox
from airlab.tasks import code_task_names, data_home, resolve_task

AIRLAB_POLICIES = {
    "greedy": "aide",
    "mcts": "aide",
    "evolutionary": "extended",
    "llm_first": "aide",
}
"""Each policy with its natural operator set (evolutionary needs crossover)."""
POLICY_PARAMS = {"greedy": {"num_drafts": 5, "debug_prob": 0.5}}
"""Greedy as the papers run it, AIDE's defaults (airlab's own are for short budgets): the
README's table was measured with them."""
NEW_OPERATORS = "+ops"
"""A policy name with this suffix (`greedy+ops`) searches with the leaders' operators on:"""
NEW_OPERATOR_CONFIG: dict[str, Any] = {
    "selection": {"ensemble": True, "runtime_weight": -0.07},
    "operator_options": {"ideas": 5, "idea_diversity": "high"},
}
"""ideation first (5 distinct approaches, then drafted), MARS's runtime-aware fitness with its
weight (-0.07), and the category-expert ensemble of the valid nodes offered to the final choice.
Diff edits are left out: the templates write the same scripts in both formats (the diff-edits
benchmark checks it), so offline they would change nothing. Lessons need a store built on other
tasks: `benchmarks/lessons.py` measures them."""
PEERS = ("tpe", "random")
DEFAULT_TASKS = ("digits", "breast-cancer", "diabetes")
"""The scikit-learn tasks: together they keep the default size under 20 minutes on 2 cores."""
NODE_FIELDS = ("id", "status", "search_score", "select_score", "test_score", "operator")


@dataclass(frozen=True)
class Job:
    method: str
    task: str
    seed: int
    candidates: int
    out: str
    bug_rate: float
    sandbox: str
    time_limit: float
    tpe_startup: int
    cache: str = ""
    """The execution cache's folder ("": `out`/cache)."""
    jump_rate: float = 0.0
    """The templates' chance of an improve step trying a hyperparameter anywhere in its range."""
    tune_rate: float = 0.0
    """The templates' chance of an improve step handing its model to a randomized search."""
    operator_options: dict[str, Any] = field(default_factory=dict)
    """Operator options (`airlab run -O`) over the policy's own, e.g. {"memory": True}."""
    policy_params: dict[str, Any] = field(default_factory=dict)
    """Policy parameters (`airlab run -P`) over `POLICY_PARAMS`, e.g. {"patience": 5}."""


def run_job(job: Job) -> dict[str, Any]:
    """One search; returns its nodes in the order they were proposed."""
    if job.sandbox == execution_cache.NAME:  # worker processes may not inherit the registry
        execution_cache.enable(Path(job.cache or Path(job.out) / "cache"))
    started = time.monotonic()
    nodes = _optuna_search(job) if job.method in PEERS else _airlab_search(job)
    spec = resolve_task(job.task).spec
    return {
        **asdict(job),
        "metric": spec.metric,
        "maximize": spec.maximize,
        "operators": operators_of(job.method),
        "seconds": time.monotonic() - started,
        "revision": code_revision(),
        "nodes": [
            {
                **node.model_dump(mode="json", include=set(NODE_FIELDS)),
                "code_sha256": hashlib.sha256(node.code.encode()).hexdigest(),
            }
            for node in nodes
        ],
    }


def operators_of(method: str) -> str:
    """The operator set a method searches with, as the report labels it."""
    if method in PEERS:
        return "-"
    label = AIRLAB_POLICIES[policy_of(method)]
    return (
        label + " + ideation, runtime fitness, ensemble" if method != policy_of(method) else label
    )


def policy_of(method: str) -> str:
    """The airlab policy of a method name (`greedy+ops` -> `greedy`)."""
    return method.removesuffix(NEW_OPERATORS)


def policy_params_of(policy: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The parameters a policy's searches run with: the table's own, then `-P`'s (one merge,
    so what `main` checks is what runs)."""
    return {**POLICY_PARAMS.get(policy, {}), **overrides}


def _airlab_search(job: Job) -> list[Node]:
    policy = policy_of(job.method)
    extra = NEW_OPERATOR_CONFIG if job.method.endswith(NEW_OPERATORS) else {}
    config = RunConfig.model_validate(
        {
            **extra,
            "task": job.task,
            "policy": policy,
            "operators": AIRLAB_POLICIES[policy],
            "policy_params": policy_params_of(policy, job.policy_params),
            "budget": {"steps": job.candidates},
            "workers": 1,
            "seed": job.seed,
            "sandbox": job.sandbox,
            "backend_options": {
                "bug_rate": job.bug_rate,
                "jump_rate": job.jump_rate,
                "tune_rate": job.tune_rate,
            },
            "limits": {"time_s": job.time_limit},
            "selection": {**extra.get("selection", {}), "score_all_nodes": True},
            "operator_options": {**extra.get("operator_options", {}), **job.operator_options},
            "runs_dir": str(Path(job.out) / "runs"),
            "run_name": f"{job.task}-{job.method}-seed{job.seed}",
        }
    )
    run = Run.create(config)
    run.execute()
    return [node for node in run.journal.nodes() if node.status != NodeStatus.CANCELLED]


def _optuna_search(job: Job) -> list[Node]:
    task = resolve_task(job.task)
    config = RunConfig.model_validate({"task": job.task, "limits": {"time_s": job.time_limit}})
    sandbox = get_sandbox(job.sandbox)
    evaluate = Evaluator(
        task=task,
        sandbox=sandbox,
        limits=execution_limits(config, task),
        hidden_paths=(task.root, task.private_dir, data_home().resolve(), Path(job.out).resolve()),
    )
    if job.method == "tpe":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.TPESampler(
            seed=job.seed, n_startup_trials=job.tpe_startup
        )
    else:
        sampler = optuna.samplers.RandomSampler(seed=job.seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=task.spec.direction, sampler=sampler)
    problem = problem_of(task)
    log_target_ok = problem == "regression" and positive_target(task)
    nodes = []
    try:
        for node_id in range(job.candidates):
            trial = study.ask()
            node = evaluate(suggest_recipe(trial, problem, log_target_ok=log_target_ok), node_id)
            if node.search_score is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, node.search_score)
            nodes.append(node)
    finally:
        sandbox.close()
    return nodes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=8, help="evaluated per search")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=list(DEFAULT_TASKS),
        help=f"bundled task names, or 'all' (the code tasks; default: {' '.join(DEFAULT_TASKS)})",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[*AIRLAB_POLICIES, *PEERS],
        help="policies and peers; a policy name ending in +ops (greedy+ops) runs with the new "
        "operators on: ideation, runtime-aware fitness, the category-expert ensemble",
    )
    parser.add_argument("--jobs", type=int, default=2, help="searches run at once")
    parser.add_argument("--out", default="bench-policies")
    parser.add_argument(
        "--bug-rate",
        type=float,
        default=0.0,
        help="templates bug rate (0: no deliberate bugs, as Optuna's candidates have none)",
    )
    parser.add_argument(
        "--jump-rate",
        type=float,
        default=0.0,
        help="templates: chance that an improve step tries a hyperparameter anywhere in its "
        "range rather than a small step from its value",
    )
    parser.add_argument(
        "--tune-rate",
        type=float,
        default=0.0,
        help="templates: chance that an improve step hands its model to a randomized search of "
        "its hyperparameters, cross-validated in the script on the training data",
    )
    parser.add_argument(
        "-O",
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="an operator option for every airlab policy, as `airlab run -O` takes it "
        "(memory=true: the templates' improve steps skip what was tried); repeatable",
    )
    parser.add_argument(
        "-P",
        "--policy-param",
        action="append",
        metavar="KEY=VALUE",
        help="a policy parameter for the airlab methods, as `airlab run -P` takes it "
        "(patience=5: greedy leaves a line that has stalled); every method run must take it; "
        "repeatable",
    )
    parser.add_argument("--sandbox", default="warm")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every candidate even when the same script already ran (see execution_cache)",
    )
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help="the execution cache's folder (default: OUT/cache); point a second table (the "
        "+ops one) at the first's to replay the executions they share",
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per candidate")
    parser.add_argument(
        "--tpe-startup", type=int, default=5, help="TPE's random trials (like 5 drafts)"
    )
    parser.add_argument(
        "--part",
        type=part_of,
        default=None,
        metavar="I/N",
        help="run only part I of N (each task's searches dealt to N parts); `--merge` then reports",
    )
    parser.add_argument(
        "--merge", action="store_true", help="write the report from the parts' results in --out"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.merge:
        results = merge_parts(out)
        (out / "results.json").write_text(json.dumps(results, indent=1))
        write_report(results, out, wall_seconds=sum(r["seconds"] for r in results))
        print(f"merged {len(results)} searches; wrote {out / 'policies.md'}")
        return
    tasks = code_task_names() if args.tasks == ["all"] else args.tasks
    unknown = [m for m in args.methods if policy_of(m) not in AIRLAB_POLICIES and m not in PEERS]
    if unknown:
        parser.error(f"unknown method {unknown[0]!r}")
    try:  # a bad option fails here, in one line, before anything is prepared or written
        options = parse_pairs(args.option, "-O")
        policy_params = parse_pairs(args.policy_param, "-P")
        for method in args.methods:
            if method not in PEERS:
                policy = policy_of(method)
                operator_options(AIRLAB_POLICIES[policy], options)
                POLICIES.parse_params(policy, policy_params_of(policy, policy_params))
    except AirlabError as error:
        parser.error(str(error))
    for name in tasks:  # prepare each bundled task once, before the workers race to do it
        resolve_task(name)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache) if args.cache else out / "cache"
    if not args.no_cache:
        if args.sandbox not in ("process", "warm"):
            parser.error("the execution cache wraps the warm process sandbox; add --no-cache")
        args.sandbox = execution_cache.enable(cache)
    jobs = [
        Job(
            method=method,
            task=task,
            seed=seed,
            candidates=args.candidates,
            out=str(out),
            bug_rate=args.bug_rate,
            sandbox=args.sandbox,
            time_limit=args.time_limit,
            tpe_startup=args.tpe_startup,
            cache=str(cache),
            jump_rate=args.jump_rate,
            tune_rate=args.tune_rate,
            operator_options=options,
            policy_params=policy_params,
        )
        # Method by method, so the drafts every policy shares are cached before the next one.
        for method in args.methods
        for seed in range(args.seeds)
        for task in tasks
    ]
    if args.part is not None:
        jobs = select_part(jobs, args.part, key=lambda job: job.task)
    # The peers' searches start first (after the split, which stays the same): one may draw
    # slow recipes (fair's TPE search drew SVRs with C in the thousands: 23 minutes), and
    # started last it ran alone at the end of its part while the other worker idled.
    jobs.sort(key=lambda job: job.method not in PEERS)
    started = time.monotonic()
    print(f"{len(jobs)} searches of {args.candidates} candidates, {args.jobs} at a time")
    results = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for result in pool.map(run_job, jobs):
            results.append(result)
            print(
                f"  {result['task']:>14} {result['method']:>12} seed {result['seed']}: "
                f"{result['seconds']:.0f} s"
            )
    if args.part is not None:
        path = out / PART_FILE.format(index=args.part[0], count=args.part[1])
        path.write_text(json.dumps(results, indent=1))
        print(f"wrote {path}; after the last part: --merge --out {out}")
        return
    (out / "results.json").write_text(json.dumps(results, indent=1))
    write_report(results, out, wall_seconds=time.monotonic() - started)
    print(f"wrote {out / 'policies.md'} and {out / 'policies.png'}")


if __name__ == "__main__":
    main()
