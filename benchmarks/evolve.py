"""Benchmark: does an evolved agent beat its seed on tasks evolution never saw? DGM against DGM-H.

Evolution runs on 8 bundled tasks and is judged on 4 others whose data sets it never touched
(each task type on both sides). For each seed and each mode, `airlab evolve` grows an archive from
a copy of the packaged `greedy-hyper` agent, then evaluates the seed and the archive's best
member on the held-out tasks with the same steps per run (equal evaluation budget):

- **DGM**: the meta agent may not edit itself (`self_modification: false`) and parents are drawn
  by DGM's rule, sigmoid(10·(s − 0.5)) / (1 + children);
- **DGM-H**: the meta agent may edit its own `meta/` (self-modification on) and parents are drawn
  by DGM-Hyperagents' rule, sigmoid(10·(s − mean of the top 3)) · exp(−(children/8)³).

Reported per mode: the held-out normalised score of the seed and of the best member (mean over
seeds × tasks), their paired difference with a bootstrap 95% CI over the (seed, task) pairs, how
often the best member is the seed itself, and the valid-child rate. Every archive is an ordinary
`airlab evolve` folder: re-running the command resumes what a kill interrupted.

    python benchmarks/evolve.py                       # full size (about an hour on 2 quiet cores)
    python benchmarks/evolve.py --quick               # 1 seed, 1 generation: a smoke test
    python benchmarks/evolve.py --base-url http://127.0.0.1:8081/v1 --local-meta
                                                      # adds a few generations with a local model
                                                      # as the meta agent (two tasks)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from airlab.evaluation.scores import bootstrap_ci
from airlab.evolve.archive import Archive, Member, MemberState

# The first three are the first evaluation stage (tasks whose normalised scores stay within
# [0, 1] for the seed; a task whose baseline and reference nearly coincide, like breast-cancer's
# log loss, swings a three-task mean by several units and would make the stage a lottery).
EVOLVE_TASKS = [
    "digits",
    "co2",
    "anes96",
    "breast-cancer",
    "digits-low-data",
    "fair",
    "italy-power",
    "randhie",
]
HOLDOUT_TASKS = ["diabetes", "osuleaf", "tecator", "sunspots"]
MODES = {
    "dgm": {"self_modification": False, "rule": "dgm"},
    "dgm_h": {"self_modification": True, "rule": "dgm_h"},
}
SEED_AGENT = "greedy-hyper"


def seed_folder(out: Path, mode: str) -> Path:
    """A copy of the packaged seed agent whose meta/ is set for the mode. Made once per --out
    (a resumed archive needs the seed it started from): delete OUT/seeds to take up a changed
    packaged agent, with the archives grown from the old one."""
    from airlab.agents import load_agent

    target = out / "seeds" / mode
    if target.is_dir():
        return target
    source = load_agent(SEED_AGENT).root
    for path in sorted(source.rglob("*")):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())
    meta_path = target / "meta" / "meta.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    meta["self_modification"] = MODES[mode]["self_modification"]
    meta["parent_selection"] = {"rule": MODES[mode]["rule"], "params": {}}
    meta_path.write_text(yaml.safe_dump(meta, sort_keys=False))
    spec_path = target / "agent.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["name"] = f"greedy-hyper-{mode.replace('_', '-')}"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


def run_evolve(command: list[str], folder: Path) -> float:
    """Run an `airlab evolve` command, its output appended to FOLDER.log; the seconds it took.
    A failure stops the benchmark, naming the log."""
    start = time.perf_counter()
    log = folder.with_suffix(".log")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"evolve failed for {folder} (exit {done.returncode}); see {log}")
    return time.perf_counter() - start


def evolve(
    folder: Path, agent: Path, args: argparse.Namespace, seed: int, extra: list[str]
) -> float:
    """Run (or resume) one archive through the CLI; returns the seconds it took."""
    command = [
        sys.executable, "-m", "airlab", "evolve",
        "--agent", str(agent),
        "--tasks", ",".join(args.tasks),
        "--holdout-tasks", ",".join(args.holdout),
        "--generations", str(args.generations),
        "--children", str(args.children),
        "--steps", str(args.steps),
        "--stage-tasks", str(args.stage_tasks),
        "--stage-threshold", str(args.stage_threshold),
        "--stage-rule", args.stage_rule,
        "--workers", str(args.workers),
        "--seed", str(seed),
        *extra,
        str(folder),
    ]  # fmt: skip
    return run_evolve(command, folder)


def holdout_pairs(members: list[Member]) -> tuple[list[float], list[float], bool]:
    """Per held-out task: the seed's and the best member's normalised scores (same order)."""
    scored = [m for m in members if m.holdout]
    seed = next(m for m in scored if m.id == 0)
    best = max(scored, key=lambda m: (m.id != 0, m.score or 0.0))
    from airlab.evolve.evaluate import normalised_scores

    as_results = [m.model_copy(update={"results": m.holdout}) for m in scored]
    scores = normalised_scores(as_results)
    tasks = sorted(scores[seed.id])
    return (
        [scores[seed.id][t] for t in tasks],
        [scores[best.id][t] for t in tasks],
        best.id == 0,
    )


def changed_fields(member: Member) -> list[str]:
    """The files a member's patch touched and the agent.yaml keys it changed (one line each)."""
    out: list[str] = []
    for line in member.patch.splitlines():
        if line.startswith("+++ "):
            out.append(line[4:].removeprefix("b/"))
        elif line.startswith("+") and not line.startswith("+++") and ":" in line:
            out.append("  " + line[1:].strip()[:80])
    return out


def summarise(out: Path, modes: list[str], seeds: list[int]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for mode in modes:
        seed_scores: list[float] = []
        best_scores: list[float] = []
        diffs: list[float] = []
        best_is_seed = valid = children = wins = losses = 0
        archive_best: list[float] = []
        for seed in seeds:
            with Archive.open(out / f"{mode}-seed{seed}") as archive:
                members = archive.members()
            base, best, same = holdout_pairs(members)
            seed_scores += base
            best_scores += best
            diffs += [b - a for a, b in zip(base, best, strict=True)]
            wins += sum(1 for a, b in zip(base, best, strict=True) if b > a + 1e-9)
            losses += sum(1 for a, b in zip(base, best, strict=True) if b < a - 1e-9)
            best_is_seed += int(same)
            kids = [m for m in members if m.generation > 0]
            children += len(kids)
            valid += sum(1 for m in kids if m.valid)
            done = [m for m in members if m.state == MemberState.EVALUATED and m.score is not None]
            archive_best.append(max(m.score or 0.0 for m in done) - (members[0].score or 0.0))
        ci = bootstrap_ci(diffs, seed=0)
        report[mode] = {
            "seed_holdout": float(np.mean(seed_scores)),
            "best_holdout": float(np.mean(best_scores)),
            "diff": float(np.mean(diffs)),
            "diff_ci": [ci.low, ci.high],
            "pairs": len(diffs),
            "wins": wins,
            "losses": losses,
            "best_is_seed": best_is_seed,
            "archives": len(seeds),
            "valid_children": valid,
            "children": children,
            "archive_gain": float(np.mean(archive_best)),
        }
    return report


def table(report: dict[str, Any]) -> str:
    lines = [
        "| mode | seed on held-out | best on held-out | best − seed [95% CI] | best was the seed"
        " | best won / lost (tasks) | valid children | gain on evolution tasks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, r in report.items():
        lines.append(
            f"| {mode} | {r['seed_holdout']:.3f} | {r['best_holdout']:.3f} | "
            f"{r['diff']:+.3f} [{r['diff_ci'][0]:+.3f}, {r['diff_ci'][1]:+.3f}] (n={r['pairs']}) | "
            f"{r['best_is_seed']}/{r['archives']} | {r['wins']} / {r['losses']} | "
            f"{r['valid_children']}/{r['children']} | "
            f"{r['archive_gain']:+.3f} |"
        )
    return "\n".join(lines)


def meta_backend_arguments(model: str, base_url: str) -> list[str]:
    """`airlab evolve` options that make the served model the meta agent."""
    return [
        "--backend", f"openai-compatible/{model}@{base_url}",
        "-B", "temperature=0.5", "-B", "timeout_s=1800", "-B", "max_retries=2",
        "-B", "max_tokens=1536",  # an answer is a reason and a few edits; an echo stops here
    ]  # fmt: skip


def local_meta(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A few generations with a local model as the meta agent: valid-child rate and edits."""
    folder = out / "local-meta"
    agent = seed_folder(out, "dgm_h")
    local = argparse.Namespace(**{**vars(args), "tasks": ["digits", "diabetes"], "holdout": []})
    command_extra = meta_backend_arguments(args.model, args.base_url)
    seconds = evolve_no_holdout(folder, agent, local, command_extra)
    with Archive.open(folder) as archive:
        kids = [m for m in archive.members() if m.generation > 0]
    return {
        "children": len(kids),
        "valid": sum(1 for m in kids if m.valid),
        "reasons": [m.reason for m in kids if not m.valid],
        "changes": {m.id: changed_fields(m) for m in kids if m.valid},
        "model": args.model,
        "generations": args.local_generations,
        "seconds": seconds,
    }


def evolve_no_holdout(
    folder: Path, agent: Path, args: argparse.Namespace, extra: list[str]
) -> float:
    """Grow (or resume) the local-model archive: no held-out tasks, no stages."""
    command = [
        sys.executable, "-m", "airlab", "evolve",
        "--agent", str(agent),
        "--tasks", ",".join(args.tasks),
        "--generations", str(args.local_generations),
        "--children", str(args.children),
        "--steps", str(args.steps),
        "--seed", "0",
        *extra,
        str(folder),
    ]  # fmt: skip
    return run_evolve(command, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/evolve"))
    parser.add_argument("--seeds", default="0,1,2", help="'' for none (e.g. --local-meta alone)")
    parser.add_argument("--modes", default="dgm,dgm_h")
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--children", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--stage-tasks", type=int, default=3)
    parser.add_argument("--stage-threshold", type=float, default=0.5)
    parser.add_argument(
        "--stage-rule",
        choices=("threshold", "parent"),
        default="threshold",
        help="threshold: a fixed bar (--stage-threshold); parent: at least the parent's "
        "first-stage score less --stage-threshold",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 seed, 1 generation, 2 steps")
    parser.add_argument("--base-url", default=None, help="a local OpenAI-compatible server")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--local-meta", action="store_true")
    parser.add_argument("--local-generations", type=int, default=3)
    args = parser.parse_args()
    if args.local_meta:  # before any archive is grown, not after an hour of them
        if not args.base_url:
            raise SystemExit("--local-meta needs --base-url of a running server")
        from local_runtime import check_server

        served = args.base_url.rstrip("/").removesuffix("/v1")
        check_server(served, timeout_s=600, option="--base-url", model=args.model)
    args.tasks, args.holdout = EVOLVE_TASKS, HOLDOUT_TASKS
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    modes = args.modes.split(",")
    if args.quick:
        seeds, args.generations, args.steps = seeds[:1], 1, 2
    args.out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    # seeds outside, modes inside: a run stopped part-way still compares the modes
    for seed in seeds:
        for mode in modes:
            agent = seed_folder(args.out, mode)
            key = f"{mode}-seed{seed}"
            seconds[key] = evolve(args.out / key, agent, args, seed, [])
            print(f"{key}: {seconds[key]:.0f} s", flush=True)
    # one report per --out: a later call (say --local-meta alone) adds to what earlier ones wrote
    report_path = args.out / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    if seeds:
        report["evolution"] = summarise(args.out, modes, seeds)
        report["seconds"] = {**report.get("seconds", {}), **seconds}
        report["settings"] = {
            "tasks": args.tasks, "holdout": args.holdout, "seeds": seeds,
            "generations": args.generations, "children": args.children, "steps": args.steps,
            "stage_tasks": args.stage_tasks, "stage_threshold": args.stage_threshold,
            "stage_rule": args.stage_rule,
        }  # fmt: skip
    if args.local_meta:
        report["local_meta"] = local_meta(args.out, args)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    if seeds:
        print(table(report["evolution"]))
        print(f"total {sum(seconds.values()) / 60:.1f} min", end="; ")
    print(f"report: {report_path}")


if __name__ == "__main__":
    main()
