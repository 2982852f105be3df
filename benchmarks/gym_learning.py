"""Does learning work through the gym? A numpy-only contextual bandit over recipe moves, trained
through the environment's group rollouts and the ExIt curriculum on some bundled tasks, against
random moves on held-out bundled tasks.

    python benchmarks/gym_learning.py --out bench-gym [--rounds 30 --group 4 --workers 2]

Action space: the templates backend's recipe moves (`airlab.gym.moves`: "C×2", "scaler=robust",
"family=gbdt", ...), rendered to the script the templates would write; the env runs it and
rewards its improvement over the parent in units of the task's headroom (|reference −
baseline|), −1 for a failure. Context: (problem kind, family of the parent). The bandit keeps
the mean reward of each move at three levels (problem+family, problem, move alone), shrunk
towards the coarser level (λ = 2), samples a group's K distinct moves by estimate plus
exploration noise while training, and takes its top K moves when evaluated. The ExIt curriculum
(`airlab.gym.exit`) picks the start states: the training tasks' root drafts (a linear model and a
k-NN one each), then the working nodes its groups produce.

Held out: other bundled tasks, never trained on, from the same kind of roots; the learned top-K
moves against K random moves (two random groups per root), all through the same env. Writes
`gym_learning.md` (table), `gym_learning.png` (learning curve and held-out result) and
`gym_learning.json` (every attempt).
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
HELD_OUT = ("digits-low-data", "italy-power", "tecator", "anes96")
ROOT_FAMILIES = ("linear", "knn")
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


def make_roots(task: str, library: Library, runs_dir: Path, workers: int) -> list[StartState]:
    """A run with one draft per root family, written by the trainer; its good nodes."""
    problem = problem_of(library.task(task))
    models = family_models(problem)
    config = RunConfig.model_validate(
        {
            "task": task,
            "budget": {"steps": len(ROOT_FAMILIES)},
            "runs_dir": str(runs_dir),
            "limits": LIMITS,
        }
    )
    search = Search.create(config)
    proposals = [search.add_step("draft") for _ in ROOT_FAMILIES]
    answers = [
        library.answer(Recipe((default_member(models[f]),), cv_folds=3), task, f"Draft: {f}.")
        for f in ROOT_FAMILIES
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
    for start in starts:
        for method, policy, repeats in (("learned", learned, 1), ("random", rand, 2)):
            for _ in range(repeats):
                result: Group = rollout_group(
                    start, policy, group, runs_dir=runs_dir, workers=workers
                )
                rows.append(
                    {
                        "method": method,
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
    for method in ("learned", "random"):
        mine = [r for r in rows if r["method"] == method]
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--report-only", action="store_true", help="Redraw table and plot from OUT's JSON."
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data_path = args.out / "gym_learning.json"
    if not args.report_only:
        data_path.write_text(json.dumps(measure(args), indent=1))
    data = json.loads(data_path.read_text())
    data["summary"] = summary(data["held_out"])
    table = report(data)
    (args.out / "gym_learning.md").write_text(table)
    plot(data["train"], data["summary"], args.out / "gym_learning.png", data["group"])
    print(table)
    return 0


def measure(args: argparse.Namespace) -> dict:
    runs_dir = Path(tempfile.mkdtemp(prefix="airlab-gym-bench-"))
    started = time.monotonic()
    library = Library()
    bandit = MoveBandit(seed=args.seed)
    train_starts = [s for t in TRAIN for s in make_roots(t, library, runs_dir, args.workers)]
    steps, curriculum = train(
        bandit, library, train_starts, args.rounds, args.group, args.workers, runs_dir, args.seed
    )
    held_starts = [s for t in HELD_OUT for s in make_roots(t, library, runs_dir, args.workers)]
    rows = evaluate(bandit, library, held_starts, args.group, args.workers, runs_dir, args.seed)
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
        "seed": args.seed,
    }


def report(data: dict) -> str:
    rewards = np.array([s["reward"] for s in data["train"]])
    window = min(40, rewards.size // 2)
    lines = [
        f"Trained on {', '.join(TRAIN)}: {data['rounds']} ExIt rounds of {data['group']} "
        f"attempts ({rewards.size} environment steps; the buffer grew from "
        f"{data.get('starts', 2 * len(TRAIN))} to {data['buffer']} start states); "
        f"mean training reward "
        f"{rewards[:window].mean():+.3f} over the first {window} steps, "
        f"{rewards[-window:].mean():+.3f} over the last {window}. Held out: "
        f"{', '.join(HELD_OUT)}, {data['group']} attempts per start state (random: twice). "
        f"Seed {data.get('seed', 0)}; {data['seconds'] / 60:.1f} min in all on "
        f"{data['workers']} workers (2 shared cores).",
        "",
        "| held-out policy | attempts | mean reward | mean best of group | improved on parent "
        "| failed | valid but at the worse floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method, s in data["summary"].items():
        lines.append(
            f"| {method} | {s['attempts']} | {s['mean_reward']:+.3f} | "
            f"{s['best_of_group']:+.3f} | {s['improved']:.0%} | {s['failed']:.0%} | "
            f"{s['much_worse']:.0%} |"
        )
    lines += ["", "| held-out task | learned mean reward | random mean reward |", "|---|---:|---:|"]
    for task in HELD_OUT:
        means = []
        for method in ("learned", "random"):
            mine = [
                r["rewards"]
                for r in data["held_out"]
                if r["task"] == task and r["method"] == method
            ]
            means.append(f"{np.mean(np.concatenate(mine)):+.3f}" if mine else "–")
        lines.append(f"| {task} | {means[0]} | {means[1]} |")
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
