"""Does learning work through the gym? A numpy-only contextual bandit over recipe moves, trained
through the environment's group rollouts and the ExIt curriculum on some bundled tasks, against
the same bandit untrained and against random moves, on held-out bundled tasks whose data sets the
training tasks do not share.

    python benchmarks/gym_learning.py --out bench-gym [--seeds 0,1,2 --rounds 30 --group 4]

Action space: the templates backend's recipe moves (`airlab.gym.moves`: "C×2", "scaler=robust",
"family=gbdt", ...), rendered to the script the templates would write; the env runs it and
rewards its improvement over the parent in units of the task's headroom (|reference −
baseline|), −1 for a failure. Context: (problem kind, family of the parent). The bandit keeps
the mean reward of each move at three levels (problem+family, problem, move alone), shrunk
towards the coarser level (λ = 2), samples a group's K distinct moves by estimate plus
exploration noise while training, and takes its top K moves when evaluated. The ExIt curriculum
(`airlab.gym.exit`) picks the start states: the training tasks' root drafts (a linear model and a
k-NN one each), then the working nodes its groups produce.

Held out: other bundled tasks, never trained on and built from other data sets (checked at
start), from three root drafts each (linear, k-NN, SVM); per root, the learned top-K moves, the
untrained bandit's top-K (what the policy does before any reward: its prior) and K random moves
(two random groups per root), all through the same env. Several training seeds; the paired
differences per root (learned − random, learned − untrained) get bootstrap CIs over the
(seed, root) pairs, and the table says whether each CI excludes zero. Writes `gym_learning.md`
(tables), `gym_learning.png` (learning curve of the first seed and held-out result) and
`gym_learning-seedN.json` per seed (every attempt; a finished seed is not rerun).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from airlab.backends.templates.backend import problem_of
from airlab.backends.templates.recipe import Recipe
from airlab.evaluation.scores import bootstrap_ci
from airlab.gym.attempts import run_attempts
from airlab.gym.exit import ExitCurriculum, ExitParams
from airlab.gym.moves import answer, default_member, family_models, moves
from airlab.gym.reward import RewardSpec
from airlab.gym.rollout import Group, rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.operators.checks import normalised
from airlab.runner import RunConfig, Search
from airlab.runner.pool import make_pool
from airlab.tasks import resolve_task

TRAIN = ("digits", "breast-cancer", "diabetes", "fair")
HELD_OUT = ("italy-power", "tecator", "anes96", "randhie", "osuleaf")
ROOT_FAMILIES = ("linear", "knn")
HELD_OUT_ROOTS = ("linear", "knn", "svm")
METHODS = ("learned", "untrained", "random")
SHRINK = 2.0
LIMITS = {"time_s": 60}


class Library:
    """What the trainer wrote: the recipe behind each script (the policy reads its parent)."""

    def __init__(self) -> None:
        self.recipes: dict[str, Recipe] = {}
        self.tasks: dict[str, object] = {}

    def task(self, name: str):
        if name not in self.tasks:
            self.tasks[name] = resolve_task(name)
        return self.tasks[name]

    def answer(self, recipe: Recipe, task_name: str, plan: str) -> str:
        text = answer(recipe, self.task(task_name), plan)
        code = text.split("```python\n", 1)[1].rsplit("```", 1)[0]
        self.recipes[normalised(code)] = recipe
        return text

    def parent(self, observation: dict[str, str]) -> Recipe:
        return self.recipes[normalised(json.loads(observation["parent"])["code"])]


class MoveBandit:
    """Mean reward per move, at three levels of context, shrunk towards the coarser level."""

    def __init__(self, seed: int = 0, noise: float = 0.5) -> None:
        self.sums: dict[tuple, float] = defaultdict(float)
        self.counts: dict[tuple, int] = defaultdict(int)
        self.rng = np.random.default_rng(seed)
        self.noise = noise

    @staticmethod
    def keys(problem: str, family: str, move: str) -> tuple[tuple, tuple, tuple]:
        return (problem, family, move), (problem, move), (move,)

    def estimate(self, problem: str, family: str, move: str) -> tuple[float, int]:
        fine, mid, coarse = self.keys(problem, family, move)
        value = 0.0
        for key in (coarse, mid, fine):
            value = (self.sums[key] + SHRINK * value) / (self.counts[key] + SHRINK)
        return value, self.counts[fine]

    def update(self, problem: str, family: str, move: str, reward: float) -> None:
        for key in self.keys(problem, family, move):
            self.sums[key] += reward
            self.counts[key] += 1

    def choose(self, problem: str, family: str, names: list[str], k: int, *, explore: bool):
        scores = []
        for name in names:
            value, n = self.estimate(problem, family, name)
            if explore:
                value += self.noise * self.rng.normal() / np.sqrt(1 + n)
            scores.append(value)
        order = np.argsort(scores)[::-1]
        return [names[i] for i in order[:k]]


def make_policy(library: Library, chooser, log: list[dict]):
    """A group policy for the env: K moves from the parent's recipe, as answers."""

    def policy(observation: dict[str, str], k: int) -> list[str]:
        task = json.loads(observation["task"])["name"]
        parent = library.parent(observation)
        problem = problem_of(library.task(task))
        family = _family(parent)
        options = {m.name: m for m in moves(parent, problem)}
        names = chooser(problem, family, sorted(options), k)
        names = (names * k)[:k]  # fewer moves than k: repeat
        log.append({"task": task, "problem": problem, "family": family, "moves": names})
        return [library.answer(options[n].recipe, task, f"Move: {n}.") for n in names]

    return policy


def _family(recipe: Recipe) -> str:
    from airlab.backends.templates.models import MODELS

    return MODELS[recipe.members[0].model].family


def make_roots(
    task: str,
    library: Library,
    runs_dir: Path,
    workers: int,
    families: tuple[str, ...] = ROOT_FAMILIES,
) -> list[StartState]:
    """A run with one draft per root family, written by the trainer; its good nodes."""
    problem = problem_of(library.task(task))
    models = family_models(problem)
    config = RunConfig.model_validate(
        {
            "task": task,
            "budget": {"steps": len(families)},
            "runs_dir": str(runs_dir),
            "limits": LIMITS,
        }
    )
    search = Search.create(config)
    proposals = [search.add_step("draft") for _ in families]
    answers = [
        library.answer(Recipe((default_member(models[f]),), cv_folds=3), task, f"Draft: {f}.")
        for f in families
    ]
    pool = make_pool("local", workers, search.sandbox)
    try:
        attempts = run_attempts(search, proposals, answers, RewardSpec(), pool)
    finally:
        pool.shutdown()
        search.journal.close()
    return [
        StartState(search.folder.root, a.node.id, StartKind.CONTINUE)
        for a in attempts
        if a.node.is_good
    ]


def train(bandit, library, starts, rounds, group, workers, runs_dir, seed=0):
    params = ExitParams(group_size=group, grow_failed=False)
    curriculum = ExitCurriculum(starts, params, seed=seed + 1)
    log: list[dict] = []
    policy = make_policy(
        library, lambda p, f, names, k: bandit.choose(p, f, names, k, explore=True), log
    )
    steps = []
    for _ in range(rounds):
        _, result = curriculum.run_group(policy, runs_dir=runs_dir, workers=workers)
        chosen = log[-1]
        for move, attempt in zip(chosen["moves"], result.attempts, strict=True):
            bandit.update(chosen["problem"], chosen["family"], move, attempt.reward)
            steps.append(
                {
                    "task": chosen["task"],
                    "move": move,
                    "reward": attempt.reward,
                    "failed": not attempt.node.is_good,
                }
            )
    return steps, curriculum


def evaluate(bandit, library, starts, group, workers, runs_dir, seed):
    rng = np.random.default_rng(seed)
    rows = []
    log: list[dict] = []
    learned = make_policy(
        library, lambda p, f, names, k: bandit.choose(p, f, names, k, explore=False), log
    )

    def random_choice(problem, family, names, k):
        picked = rng.choice(len(names), size=min(k, len(names)), replace=False)
        return [names[i] for i in picked]

    rand = make_policy(library, random_choice, log)
    prior = MoveBandit(seed=seed)
    untrained = make_policy(
        library, lambda p, f, names, k: prior.choose(p, f, names, k, explore=False), log
    )
    for root, start in enumerate(starts):
        for method, policy, repeats in (
            ("learned", learned, 1),
            ("untrained", untrained, 1),
            ("random", rand, 2),
        ):
            for _ in range(repeats):
                result: Group = rollout_group(
                    start, policy, group, runs_dir=runs_dir, workers=workers
                )
                rows.append(
                    {
                        "method": method,
                        "root": root,
                        "task": log[-1]["task"],
                        "family": log[-1]["family"],
                        "moves": log[-1]["moves"],
                        "rewards": result.rewards.tolist(),
                        "failed": [not a.node.is_good for a in result.attempts],
                    }
                )
    return rows


def summary(rows: list[dict]) -> dict[str, dict[str, float]]:
    out = {}
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        rewards = np.concatenate([r["rewards"] for r in mine])
        best = np.array([max(r["rewards"]) for r in mine])
        failed = np.concatenate([r["failed"] for r in mine]).astype(bool)
        out[method] = {
            "attempts": int(rewards.size),
            "mean_reward": float(rewards.mean()),
            "best_of_group": float(best.mean()),
            "improved": float((rewards > 0).mean()),
            "failed": float(failed.mean()),
            "much_worse": float(((rewards <= -RewardSpec().worse_floor) & ~failed).mean()),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench-gym"))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated")
    parser.add_argument(
        "--report-only", action="store_true", help="Redraw tables and plot from OUT's JSON."
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    check_data_sets_differ()
    runs: list[dict] = []
    for seed in seeds:
        path = args.out / f"gym_learning-seed{seed}.json"
        if not path.is_file() and not args.report_only:
            path.write_text(json.dumps(measure(args, seed), indent=1))
        if path.is_file():
            runs.append(json.loads(path.read_text()))
    if not runs:
        raise SystemExit(f"no measured seed in {args.out}; run without --report-only first")
    table = report(runs)
    (args.out / "gym_learning.md").write_text(table)
    pooled = summary([row for run in runs for row in run["held_out"]])
    plot(runs[0]["train"], pooled, args.out / "gym_learning.png", runs[0]["group"])
    print(table)
    return 0


def check_data_sets_differ() -> None:
    """Held-out tasks must not share a data set with a training task (digits-low-data is digits)."""
    library = Library()
    sources = {t: library.task(t).spec.source for t in TRAIN}
    for task in HELD_OUT:
        source = library.task(task).spec.source
        clash = [t for t, s in sources.items() if s == source]
        if clash:
            raise SystemExit(f"held-out task {task} shares its data set {source} with {clash[0]}")


def measure(args: argparse.Namespace, seed: int) -> dict:
    runs_dir = Path(tempfile.mkdtemp(prefix="airlab-gym-bench-"))
    started = time.monotonic()
    library = Library()
    bandit = MoveBandit(seed=seed)
    train_starts = [s for t in TRAIN for s in make_roots(t, library, runs_dir, args.workers)]
    steps, curriculum = train(
        bandit, library, train_starts, args.rounds, args.group, args.workers, runs_dir, seed
    )
    held_starts = [
        s for t in HELD_OUT for s in make_roots(t, library, runs_dir, args.workers, HELD_OUT_ROOTS)
    ]
    rows = evaluate(bandit, library, held_starts, args.group, args.workers, runs_dir, seed)
    return {
        "train": steps,
        "held_out": rows,
        "summary": summary(rows),
        "buffer": len(curriculum),
        "starts": len(train_starts),
        "seconds": time.monotonic() - started,
        "rounds": args.rounds,
        "group": args.group,
        "workers": args.workers,
        "seed": seed,
    }


def paired(runs: list[dict], method: str, against: str) -> tuple[float, float, float, int]:
    """Mean over (seed, root) of method's mean reward minus against's, with a bootstrap CI."""
    diffs = []
    for run in runs:
        by_root: dict[tuple[int, str], list[float]] = defaultdict(list)
        for row in run["held_out"]:
            by_root[(row["root"], row["method"])] += row["rewards"]
        roots = {root for root, _ in by_root}
        for root in sorted(roots):
            if (root, method) in by_root and (root, against) in by_root:
                diffs.append(
                    float(np.mean(by_root[(root, method)]) - np.mean(by_root[(root, against)]))
                )
    ci = bootstrap_ci(diffs, seed=0)
    return float(np.mean(diffs)), float(ci.low), float(ci.high), len(diffs)


def report(runs: list[dict]) -> str:
    first = runs[0]
    lines = [
        f"Trained on {', '.join(TRAIN)}: {first['rounds']} ExIt rounds of {first['group']} "
        f"attempts per seed, seeds {', '.join(str(r['seed']) for r in runs)}. Held out (other "
        f"data sets): {', '.join(HELD_OUT)}, from {len(HELD_OUT_ROOTS)} root drafts each "
        f"({', '.join(HELD_OUT_ROOTS)}), {first['group']} attempts per root and method (random: "
        f"twice). {sum(r['seconds'] for r in runs) / 60:.1f} min in all on "
        f"{first['workers']} workers (2 shared cores).",
        "",
        "| seed | training reward, first 40 steps | last 40 steps | buffer |",
        "|---|---:|---:|---:|",
    ]
    for run in runs:
        rewards = np.array([s["reward"] for s in run["train"]])
        window = min(40, rewards.size // 2)
        lines.append(
            f"| {run['seed']} | {rewards[:window].mean():+.3f} | {rewards[-window:].mean():+.3f} "
            f"| {run['buffer']} |"
        )
    pooled = summary([row for run in runs for row in run["held_out"]])
    lines += [
        "",
        "| held-out policy | attempts | mean reward | mean best of group | improved on parent "
        "| failed | valid but at the worse floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method, s in pooled.items():
        lines.append(
            f"| {method} | {s['attempts']} | {s['mean_reward']:+.3f} | "
            f"{s['best_of_group']:+.3f} | {s['improved']:.0%} | {s['failed']:.0%} | "
            f"{s['much_worse']:.0%} |"
        )
    lines += [
        "",
        "| paired difference per root | mean | 95% CI | roots × seeds | CI excludes 0 |",
        "|---|---:|---|---:|---|",
    ]
    for method, against in (("learned", "random"), ("learned", "untrained")):
        mean, low, high, n = paired(runs, method, against)
        excludes = "yes" if low > 0 or high < 0 else "no"
        lines.append(
            f"| {method} − {against} | {mean:+.3f} | [{low:+.3f}, {high:+.3f}] | {n} | {excludes} |"
        )
    lines += [
        "",
        "| held-out task | " + " | ".join(f"{m} mean reward" for m in METHODS) + " |",
        "|---|" + "---:|" * len(METHODS),
    ]
    for task in HELD_OUT:
        means = []
        for method in METHODS:
            mine = [
                r["rewards"]
                for run in runs
                for r in run["held_out"]
                if r["task"] == task and r["method"] == method
            ]
            means.append(f"{np.mean(np.concatenate(mine)):+.3f}" if mine else "–")
        lines.append(f"| {task} | " + " | ".join(means) + " |")
    return "\n".join(lines) + "\n"


def plot(steps, result, path: Path, group: int) -> None:
    rewards = np.array([s["reward"] for s in steps])
    window = max(group * 3, 1)
    smooth = np.convolve(rewards, np.ones(window) / window, mode="valid")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=(2, 1))
    left.plot(np.arange(1, rewards.size + 1), rewards, ".", alpha=0.3, label="attempt")
    left.plot(np.arange(window, rewards.size + 1), smooth, label=f"mean of last {window}")
    left.axhline(0, color="grey", lw=0.8)
    left.set_xlabel("environment steps (training tasks)")
    left.set_ylabel("reward")
    left.set_title("Learning curve (bandit over recipe moves, ExIt starts)")
    left.legend(loc="lower right")
    methods = list(result)
    means = [result[m]["mean_reward"] for m in methods]
    bars = right.bar(methods, means, label="mean reward")
    right.bar_label(bars, labels=[f"{v:+.3f}" for v in means])
    right.plot(methods, [result[m]["best_of_group"] for m in methods], "kD", label="best of group")
    right.axhline(0, color="grey", lw=0.8)
    right.set_title("Held-out tasks")
    right.set_ylim(min(-0.2, min(means) - 0.1), 1.0)
    right.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
