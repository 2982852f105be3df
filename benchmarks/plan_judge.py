"""Rubric judges against hand labels, and plan search against one-shot drafting, with a real model.

    python benchmarks/plan_judge.py --out bench-plans                 # judges: offline only
    python benchmarks/plan_judge.py --model --out bench-plans         # + the local model judge
    python benchmarks/plan_judge.py --model --search plan-calibration,plan-label-noise \\
        --steps 6 --repeats 2 --out bench-plans                        # + greedy vs one-shot

**Agreement.** `plan_judge/labels.yaml` holds 50 (plan, rubric item) pairs labelled by hand:
four plans written for this benchmark (`plan_judge/plans/`), two per bundled goal, each against
every leaf of its goal's rubric, the weaker plans with traps for a word-overlap judge (an item's
words present, the item not met). Each judge decides every pair as airlab's grader would ask it
(one call per plan, the goal as context); reported: pairs decided, recorded failures, accuracy and
Cohen's kappa with 95 % bootstrap intervals over pairs, precision and recall of "satisfied", with
and without the pairs marked borderline. Judges: the offline test double (0/1), an "always
satisfied" baseline (kappa 0 by construction), and with `--model` Qwen2.5-Coder-1.5B through
llama.cpp (`local_runtime.py`'s setup, or `--server URL`), temperature 0, `--samples` votes.

**Search.** With `--search`, airlab runs on those plan tasks with the local model as writer and
as its own frozen judge: greedy (`--steps` steps: drafts, then improvements from the judge's
feedback on search items) against one-shot drafting at equal calls (`-P num_drafts=STEPS`: every
step an independent draft, the final one picked on the select items), and one single draft.
Reported: the test-item score of each run's final plan, and greedy minus one-shot paired by task
and repeat, with a bootstrap interval. Not part of the test suite: each answer takes 20-60 s on 2
cores.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from local_runtime import MODEL_ALIAS, check_server, ensure_server, llama_server, run_airlab
from pydantic import BaseModel, ConfigDict

from airlab.evaluation.scores import bootstrap_ci
from airlab.plans.judge import Judge, LLMJudge, OfflineJudge
from airlab.plans.rubric import Leaf, Verdict
from airlab.tasks.bundled import resolve_task
from airlab.yamlfile import read_yaml_mapping

HERE = Path(__file__).resolve().parent
LABELS = HERE / "plan_judge" / "labels.yaml"
REPO = HERE.parent
TEMPERATURE = 0.5
"""The writer's temperature in the search runs (the judge's is 0)."""


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    satisfied: bool
    borderline: bool = False
    note: str = ""


class LabelledPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str
    """A file in `plan_judge/plans/`."""
    task: str
    """The bundled plan task whose rubric the labels refer to."""
    labels: dict[str, Label]
    """Rubric leaf id -> the hand label."""


class LabelFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = 1
    plans: list[LabelledPlan]


@dataclass(frozen=True)
class Pair:
    plan: str
    item: str
    satisfied: bool
    borderline: bool


def load_labels(path: Path = LABELS) -> LabelFile:
    from airlab.errors import TaskError

    return LabelFile.model_validate(read_yaml_mapping(path, TaskError))


def plan_inputs(labelled: LabelledPlan, root: Path) -> tuple[str, list[Leaf], str]:
    """(the plan's text, the labelled leaves in rubric order, the goal the judge is shown)."""
    task = resolve_task(labelled.task)
    leaves = [leaf for leaf in task.rubric.leaves() if leaf.id in labelled.labels]
    unknown = sorted(set(labelled.labels) - {leaf.id for leaf in leaves})
    if unknown:
        raise SystemExit(f"{labelled.plan}: no leaf {unknown[0]!r} in {labelled.task}'s rubric")
    text = (root / "plans" / labelled.plan).read_text()
    return text, leaves, task.description


def decide(judge: Judge, labels: LabelFile, root: Path) -> dict[tuple[str, str], Verdict]:
    """Every labelled pair decided by `judge`: one call per plan, as the grader makes them."""
    verdicts: dict[tuple[str, str], Verdict] = {}
    for labelled in labels.plans:
        text, leaves, goal = plan_inputs(labelled, root)
        for verdict in judge.judge(text, leaves, context=goal):
            verdicts[(labelled.plan, verdict.item_id)] = verdict
    return verdicts


def pairs_of(labels: LabelFile) -> list[Pair]:
    return [
        Pair(p.plan, item, label.satisfied, label.borderline)
        for p in labels.plans
        for item, label in p.labels.items()
    ]


def kappa(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 vectors; 0 where chance agreement is total (one class only)."""
    observed = float(np.mean(truth == predicted))
    p_true, p_pred = float(np.mean(truth)), float(np.mean(predicted))
    chance = p_true * p_pred + (1 - p_true) * (1 - p_pred)
    return 0.0 if chance >= 1 else (observed - chance) / (1 - chance)


@dataclass(frozen=True)
class Agreement:
    judge: str
    subset: str
    pairs: int
    decided: int
    failures: int
    accuracy: float
    accuracy_ci: tuple[float, float]
    kappa: float
    kappa_ci: tuple[float, float]
    precision: float
    recall: float


def agreement(
    name: str,
    pairs: Sequence[Pair],
    verdicts: dict[tuple[str, str], Verdict],
    *,
    subset: str = "all",
    n_boot: int = 4000,
    seed: int = 0,
) -> Agreement:
    """How `verdicts` agree with the hand labels of `pairs`; a failed verdict is left out of
    the rates and counted. A verdict's value (a share of samples) counts as satisfied at 0.5."""
    decided = [p for p in pairs if verdicts[(p.plan, p.item)].value is not None]
    truth = np.array([p.satisfied for p in decided], dtype=bool)
    predicted = np.array(
        [(verdicts[(p.plan, p.item)].value or 0.0) >= 0.5 for p in decided], dtype=bool
    )
    rng = np.random.default_rng(seed)
    accuracies, kappas = [], []
    for _ in range(n_boot if len(decided) > 1 else 0):
        idx = rng.integers(0, len(decided), len(decided))
        accuracies.append(float(np.mean(truth[idx] == predicted[idx])))
        kappas.append(kappa(truth[idx], predicted[idx]))

    def interval(values: list[float]) -> tuple[float, float]:
        if not values:
            return (float("nan"), float("nan"))
        low, high = np.percentile(values, [2.5, 97.5])
        return (float(low), float(high))

    hits = int(np.sum(truth & predicted))
    return Agreement(
        judge=name,
        subset=subset,
        pairs=len(pairs),
        decided=len(decided),
        failures=len(pairs) - len(decided),
        accuracy=float(np.mean(truth == predicted)) if decided else float("nan"),
        accuracy_ci=interval(accuracies),
        kappa=kappa(truth, predicted) if decided else float("nan"),
        kappa_ci=interval(kappas),
        precision=hits / max(1, int(np.sum(predicted))),
        recall=hits / max(1, int(np.sum(truth))),
    )


class AlwaysSatisfied:
    """The majority-class baseline: every item satisfied (kappa 0 by construction)."""

    name = "always satisfied"

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        return [Verdict(item_id=leaf.id, value=1.0, justification="baseline") for leaf in leaves]


def agreement_table(rows: Sequence[Agreement]) -> str:
    lines = [
        "| judge | pairs | decided (failures) | accuracy (95 % CI) | Cohen's kappa (95 % CI) "
        '| precision / recall of "satisfied" |',
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.judge} ({r.subset}) | {r.pairs} | {r.decided} ({r.failures}) "
            f"| {r.accuracy:.2f} [{r.accuracy_ci[0]:.2f}, {r.accuracy_ci[1]:.2f}] "
            f"| {r.kappa:.2f} [{r.kappa_ci[0]:.2f}, {r.kappa_ci[1]:.2f}] "
            f"| {r.precision:.2f} / {r.recall:.2f} |"
        )
    return "\n".join(lines) + "\n"


def measure_agreement(judges: dict[str, Judge], out: Path) -> list[Agreement]:
    labels = load_labels()
    pairs = pairs_of(labels)
    clear = [p for p in pairs if not p.borderline]
    rows: list[Agreement] = []
    decisions: dict[str, list[dict[str, object]]] = {}
    for name, judge in judges.items():
        started = time.monotonic()
        verdicts = decide(judge, labels, LABELS.parent)
        seconds = time.monotonic() - started
        print(f"{name}: {len(verdicts)} verdicts in {seconds:.0f} s", flush=True)
        rows.append(agreement(name, pairs, verdicts))
        rows.append(agreement(name, clear, verdicts, subset="without borderline"))
        decisions[name] = [
            {
                **asdict(p),
                **verdicts[(p.plan, p.item)].model_dump(mode="json"),
            }
            for p in pairs
        ]
    (out / "judge_decisions.json").write_text(json.dumps(decisions, indent=1))
    (out / "judge_agreement.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return rows


# -- search: greedy against one-shot drafting --------------------------------------------------

MODES: dict[str, tuple[str, list[str]]] = {
    "greedy": ("greedy (drafts, then improvements)", []),
    "one-shot": ("one-shot drafts at equal calls", ["-P", "num_drafts={steps}"]),
    "single": ("a single draft", []),
}


@dataclass
class SearchRow:
    task: str
    mode: str
    repeat: int
    steps: int
    nodes: int
    test: float | None
    select: float | None
    failed_nodes: int
    wall_s: float
    note: str = ""


def run_plan_search(
    task: str, mode: str, steps: int, url: str, out: Path, seed: int, repeat: int
) -> SearchRow:
    name = f"{task}-{mode}-r{repeat}"
    extra = [a.format(steps=steps) for a in MODES[mode][1]]
    run_steps = 1 if mode == "single" else steps
    result, wall, note = run_airlab(
        ["-p", "greedy", *extra], task, steps=run_steps, url=url, out=out,
        seed=seed + repeat, name=name, temperature=TEMPERATURE,
    )  # fmt: skip
    if result is None:
        return SearchRow(task, mode, repeat, run_steps, 0, None, None, 0, wall, note)
    return SearchRow(
        task=task,
        mode=mode,
        repeat=repeat,
        steps=run_steps,
        nodes=result.nodes,
        test=result.scores.test,
        select=result.scores.select,
        failed_nodes=sum(result.failures.values()),
        wall_s=wall,
    )


def search_table(rows: Sequence[SearchRow]) -> str:
    lines = [
        "| task | mode | repeat | steps | nodes | select score | test score | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        test = "—" if r.test is None else f"{r.test:.3f}"
        select = "—" if r.select is None else f"{r.select:.3f}"
        lines.append(
            f"| {r.task} | {MODES[r.mode][0]} | {r.repeat + 1} | {r.steps} | {r.nodes} "
            f"| {select} | {test} | {r.wall_s:.0f} |"
        )
    paired = paired_difference(rows, "greedy", "one-shot")
    if paired is not None:
        lines += ["", f"greedy − one-shot on the test items, paired by task and repeat: {paired}"]
    return "\n".join(lines) + "\n"


def paired_difference(rows: Sequence[SearchRow], a: str, b: str) -> str | None:
    """`a` minus `b`, mean over (task, repeat) pairs where both scored, with a bootstrap CI."""
    by_key = {(r.task, r.repeat, r.mode): r.test for r in rows}
    diffs = [
        ta - tb
        for (task, repeat, mode), ta in by_key.items()
        if mode == a and ta is not None and (tb := by_key.get((task, repeat, b))) is not None
    ]
    if not diffs:
        return None
    ci = bootstrap_ci(diffs)
    return f"{ci.estimate:+.3f} [{ci.low:+.3f}, {ci.high:+.3f}] over {ci.n} pairs"


# -- the model -------------------------------------------------------------------------------


@contextmanager
def model_server(args: argparse.Namespace, out: Path) -> Iterator[str]:
    if args.server:
        # a shared server may be mid-answer for another benchmark: wait for it
        yield check_server(args.server.rstrip("/"), timeout_s=1800)
        return
    python, model = ensure_server(args.root, wheel=args.wheel)
    with llama_server(python, model, n_ctx=8192, threads=args.threads,
                      log=out / "llama-server.log") as url:  # fmt: skip
        yield url


def model_judge(url: str, samples: int) -> LLMJudge:
    from airlab.backends import make_backend
    from airlab.backends.base import ChatModel

    backend = make_backend(
        f"openai-compatible/{MODEL_ALIAS}@{url}/v1",
        {"temperature": 0.0, "timeout_s": 1800, "max_retries": 2},
    )
    assert isinstance(backend, ChatModel)
    return LLMJudge(backend, samples=samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-plans"))
    parser.add_argument("--model", action="store_true", help="also judge with the local model")
    parser.add_argument("--samples", type=int, default=1, help="the model judge's votes per item")
    parser.add_argument("--server", metavar="URL", help=f"a running server of {MODEL_ALIAS}")
    parser.add_argument("--root", type=Path, default=REPO / ".bench" / "local-model")
    parser.add_argument("--wheel", type=Path, help="a prebuilt llama-cpp-python wheel")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--search", default="", help="comma-separated plan tasks to search")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-agreement", action="store_true", help="only the search (agreement measured before)"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    judges: dict[str, Judge] = {
        "always satisfied": AlwaysSatisfied(),
        "offline (0/1)": OfflineJudge(partial=False),
    }
    tasks = [t for t in args.search.split(",") if t]
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {unknown}; known: {', '.join(MODES)}")
    if not args.model:
        if tasks:
            parser.error("--search needs --model")
        print(agreement_table(measure_agreement(judges, out)))
        return 0
    with model_server(args, out) as url:
        report = ""
        if not args.no_agreement:
            judges[f"{MODEL_ALIAS} (samples={args.samples})"] = model_judge(url, args.samples)
            report = agreement_table(measure_agreement(judges, out))
            (out / "plan_judge.md").write_text(report)
            print(report, flush=True)
        rows: list[SearchRow] = []
        for repeat in range(args.repeats):
            for task in tasks:
                for mode in modes:
                    print(f"{task} r{repeat + 1}: {MODES[mode][0]} ...", flush=True)
                    row = run_plan_search(task, mode, args.steps, url, out, args.seed, repeat)
                    rows.append(row)
                    print(f"  {row}", flush=True)
                    with (out / "search_rows.jsonl").open("a") as durable:
                        durable.write(json.dumps(asdict(row)) + "\n")
                    (out / "plan_search.md").write_text(search_table(rows))
        if rows:
            print(search_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
