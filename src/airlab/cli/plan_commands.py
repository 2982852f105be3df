"""`airlab plans import|extract` (plan-task folders from data a user has) and `airlab rubric
discover` (which rubric items predict an outcome).

Each command imports what it runs (pandas, scikit-learn, the model clients), so `--help`
answers at once.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from airlab.cli.run_commands import parse_pairs
from airlab.errors import AirlabError, ConfigError, TaskError

if TYPE_CHECKING:
    from airlab.plans.calls import CallTally, SpendCap
    from airlab.plans.judge import Judge

plans_app = typer.Typer(
    help="Plan tasks from data you have: import rubric datasets, extract goals from papers.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
rubric_app = typer.Typer(
    help="Rubric tools: discover which items predict an outcome.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
JUDGES = ("model", "offline", "none")

BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        "-b",
        help="Chat backend, e.g. openai/gpt-4o-mini or openai-compatible/MODEL@URL.",
    ),
]
BackendOptions = Annotated[
    list[str] | None,
    typer.Option("--backend-option", "-B", help="Backend option KEY=VALUE (repeatable)."),
]
CostOption = Annotated[
    float | None,
    typer.Option("--cost", help="Stop the model calls once they have cost this many USD."),
]
TokensOption = Annotated[
    int | None,
    typer.Option("--tokens", help="Stop the model calls once they have spent this many tokens."),
]


def _read_text(path: Path | None, option: str) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(f"option {option}: file not found: {path}")
    return path.read_text()


@plans_app.command("import")
def import_(
    source: Annotated[
        Path,
        typer.Argument(
            help="research-plan-gen records (.jsonl, .json, .parquet) or a PaperBench rubric.json."
        ),
    ],
    out: Annotated[Path, typer.Argument(help="Folder to write the plan-task folders into.")],
    source_format: Annotated[
        str, typer.Option("--from", help="rpg, paperbench, or auto (from the file).")
    ] = "auto",
    limit: Annotated[int | None, typer.Option(help="rpg: import the first N records.")] = None,
    prefix: Annotated[
        str | None, typer.Option(help="rpg: task name prefix (default: the file's stem).")
    ] = None,
    goal: Annotated[
        Path | None, typer.Option(help="paperbench: the goal text (description.md) to grade.")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option(help="paperbench: a reference solution (private).")
    ] = None,
    paper: Annotated[
        Path | None, typer.Option(help="paperbench: a paper to revise (makes a revision task).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="paperbench: the task's name.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing task folders.")] = False,
) -> None:
    """Write plan-task folders from research-plan-gen records or a PaperBench rubric tree."""
    from airlab.plans.importers import import_paperbench, import_rpg

    kind = source_format if source_format != "auto" else _detect(source)
    console = Console()
    if kind == "rpg":
        folders = import_rpg(source, out, limit=limit, prefix=prefix, overwrite=overwrite)
    elif kind == "paperbench":
        goal_text = _read_text(goal, "--goal")
        if goal_text is None:
            raise ConfigError("a PaperBench rubric needs --goal FILE: the goal text to plan for")
        folders = [
            import_paperbench(
                source,
                out,
                goal=goal_text,
                name=name,
                reference=_read_text(reference, "--reference"),
                paper=_read_text(paper, "--paper"),
                overwrite=overwrite,
            )
        ]
    else:
        raise ConfigError(f"option --from: expected rpg, paperbench or auto, got {kind!r}")
    for folder in folders[:10]:
        console.print(f"  · {escape(str(folder))}", highlight=False)
    if len(folders) > 10:
        console.print(f"  · … {len(folders) - 10} more", highlight=False)
    console.print(f"[green]✓[/] {len(folders)} plan task(s) written to {escape(str(out))}")


def _detect(source: Path) -> str:
    """paperbench when the file is one JSON object with `requirements`, else rpg."""
    if source.suffix.lower() == ".json" and source.is_file():
        try:
            data = json.loads(source.read_text())
        except json.JSONDecodeError:
            return "rpg"  # the importer names the error
        if isinstance(data, dict) and "requirements" in data:
            return "paperbench"
    return "rpg"


def make_judge(
    kind: str,
    backend: str | None,
    options: dict[str, Any] | None,
    folder: Path,
    tally: CallTally,
    *,
    samples: int = 1,
    shared: tuple[str, Any] | None = None,
    cap: SpendCap | None = None,
) -> Judge | None:
    """The judge a command asked for: an LLM judge on a metered backend, the offline judge, or
    none. `shared`: (backend, metered model) the command already has; the judge reuses it when
    it asks the same backend, so that one `llm_calls.jsonl` numbers every call once."""
    if kind not in JUDGES:
        raise ConfigError(f"option --judge: expected one of {', '.join(JUDGES)}, got {kind!r}")
    if kind == "none":
        return None
    # looked up by name: the judges beside the protocol may be absent from a partial install
    judges = importlib.import_module("airlab.plans.judge")
    if kind == "offline":
        offline = getattr(judges, "OfflineJudge", None)
        if offline is None:
            raise ConfigError("this airlab has no offline judge; use --judge none")
        judge: Judge = offline()
        return judge
    if backend is None:
        raise ConfigError("--judge model needs a chat backend (-b or --judge-backend)")
    llm_judge = getattr(judges, "LLMJudge", None)
    if llm_judge is None:
        raise ConfigError("this airlab has no LLM judge; use --judge none or offline")
    from airlab.plans.calls import metered_model

    if shared is not None and shared[0] == backend:
        model = shared[1]
    else:
        model = metered_model(backend, options, folder, tally, cap)
    judge = llm_judge(model, samples=samples)
    return judge


@plans_app.command("extract")
def extract(
    papers: Annotated[list[Path], typer.Argument(help="Papers: .txt, .md or .pdf files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the plan-task folders.")],
    backend: BackendOption = None,
    backend_option: BackendOptions = None,
    goals: Annotated[int, typer.Option(min=1, help="Research goals asked per paper.")] = 3,
    max_items: Annotated[int, typer.Option(min=3, help="Rubric items kept per goal.")] = 15,
    judge: Annotated[
        str,
        typer.Option(help="Self-check judge: model (the backend), offline, or none."),
    ] = "model",
    judge_backend: Annotated[
        str | None, typer.Option(help="The self-check judge's backend (default: -b).")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing task folders.")] = False,
    cost: CostOption = None,
    tokens: TokensOption = None,
) -> None:
    """Ask a model for up to N research goals per paper, each with rubric items and the paper's
    approach as the reference; drop items the judge cannot decide; write plan-task folders."""
    from airlab.errors import BudgetExhaustedError
    from airlab.plans.calls import CALLS_FILE, CallTally, SpendCap, metered_model, spend_line
    from airlab.plans.extract import extract_paper

    if backend is None:
        raise ConfigError("option --backend (-b): extraction needs a chat backend")
    options = parse_pairs(backend_option, "--backend-option") or None
    tally = CallTally()
    cap = SpendCap(tally, cost_usd=cost, tokens=tokens)
    model = metered_model(backend, options, out, tally, cap)
    checker = make_judge(
        judge, judge_backend or backend, options, out, tally, shared=(backend, model), cap=cap
    )
    console = Console()
    failed: list[str] = []
    written = 0
    stopped = ""
    for done, paper in enumerate(papers):
        try:
            result = extract_paper(
                paper,
                model,
                out,
                judge=checker,
                max_goals=goals,
                max_items=max_items,
                overwrite=overwrite,
            )
        except BudgetExhaustedError as exc:
            stopped = f"stopped before {len(papers) - done} paper(s): {exc}"
            break
        except AirlabError as exc:
            failed.append(str(exc))
            console.print(f"  [red]✗[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            continue
        written += len(result.folders)
        for folder in result.folders:
            console.print(f"  · {escape(str(folder))}", highlight=False)
        for text in result.dropped_items:
            console.print(f"    [yellow]dropped item[/] {escape(text)}", highlight=False)
        for text in result.dropped_goals:
            console.print(f"    [yellow]dropped goal[/] {escape(text)}", highlight=False)
    tried = len(papers) if not stopped else done
    console.print(
        f"{written} plan task(s) from {tried - len(failed)} paper(s); model calls: "
        f"{spend_line(tally.total())} (each in {escape(str(out / CALLS_FILE))})",
        highlight=False,
    )
    if stopped:
        console.print(f"[yellow]{escape(stopped)}[/] (the tasks above are kept)", highlight=False)
    if failed:
        raise TaskError(f"{len(failed)} of {len(papers)} paper(s) gave no tasks (see above)")


@rubric_app.command("discover")
def discover(
    corpus: Annotated[
        Path,
        typer.Argument(help="CSV or JSONL: a 'text' or 'path' column and the outcome column."),
    ],
    outcome: Annotated[str, typer.Option(help="The outcome column (e.g. citations).")],
    items: Annotated[
        Path, typer.Option(help="Candidate items: a rubric.yaml or one item per line.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for rubric.yaml and report.")],
    backend: BackendOption = None,
    backend_option: BackendOptions = None,
    judge: Annotated[str, typer.Option(help="Judge: model (the backend) or offline.")] = "model",
    penalty: Annotated[str, typer.Option(help="l1 (lasso) or l2 (ridge).")] = "l1",
    transform: Annotated[
        str, typer.Option(help="Outcome transform: auto (log1p for counts), log1p or none.")
    ] = "auto",
    folds: Annotated[int, typer.Option(min=2, help="Outer cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment.")] = 0,
    cost: CostOption = None,
    tokens: TokensOption = None,
) -> None:
    """Fit which candidate items, judged on each paper, predict the outcome; report the
    cross-validated error against length-only and uniform-weight baselines; write the selected
    items with their weights as rubric.yaml."""
    from airlab.errors import BudgetExhaustedError
    from airlab.plans.calls import CallTally, SpendCap, spend_line
    from airlab.plans.discover import (
        Penalty,
        Transform,
        VerdictCache,
        read_candidates,
        read_corpus,
    )
    from airlab.plans.discover import discover as run_discovery
    from airlab.plans.rubric import dump_rubric

    chosen_penalty = _choice(Penalty, penalty, "--penalty")
    chosen_transform = _choice(Transform, transform, "--transform")
    if judge == "none":
        raise ConfigError("option --judge: discovery needs a judge (model or offline)")
    papers = read_corpus(corpus, outcome)
    candidates = read_candidates(items)
    tally = CallTally()
    options = parse_pairs(backend_option, "--backend-option") or None
    cap = SpendCap(tally, cost_usd=cost, tokens=tokens)
    judging = make_judge(judge, backend, options, out, tally, cap=cap)
    assert judging is not None
    out.mkdir(parents=True, exist_ok=True)
    try:
        report, rubric = run_discovery(
            papers,
            candidates,
            judging,
            outcome=outcome,
            penalty=chosen_penalty,
            transform=chosen_transform,
            folds=folds,
            seed=seed,
            cache=VerdictCache(out / "verdicts.json", judge=f"{judge}:{backend or ''}"),
        )
    except BudgetExhaustedError as exc:
        raise BudgetExhaustedError(
            f"{exc}; the verdicts so far are kept in {out / 'verdicts.json'}: run again with "
            "a larger budget to continue from them"
        ) from None
    (out / "discovery.json").write_text(report.model_dump_json(indent=2))
    console = Console()
    errors = report.cv_rmse
    console.print(
        f"{report.papers} papers × {report.items} items, outcome {outcome} ({report.transform}), "
        f"{report.penalty} penalty α={report.alpha:.4g}, {report.folds}-fold CV RMSE: "
        f"model {errors['model']:.4f} · length-only {errors['length_only']:.4f} · "
        f"uniform-weight {errors['uniform_weight']:.4f} · constant {errors['constant']:.4f}",
        highlight=False,
    )
    if report.failed_verdicts:
        console.print(
            f"  [yellow]{report.failed_verdicts} verdict(s) the judge could not give were "
            "imputed with the item's mean[/]"
        )
    for weight in report.selected:
        console.print(f"  {weight.coefficient:+.4f}  {escape(weight.text)}", highlight=False)
    console.print(f"judge calls this time: {report.judge_calls}; {spend_line(tally.total())}")
    if rubric is None:
        raise TaskError("no candidate item predicts the outcome (every weight is 0 or below)")
    dump_rubric(rubric, out / "rubric.yaml")
    console.print(f"[green]✓[/] {len(rubric.items)} item(s) → {escape(str(out / 'rubric.yaml'))}")


def _choice(kind: Any, value: str, option: str) -> Any:
    try:
        return kind(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ConfigError(f"option {option}: expected one of {allowed}, got {value!r}") from None


@plans_app.command("faithful")
def faithful(
    original: Annotated[Path, typer.Argument(help="The original paper (.txt, .md or .pdf).")],
    revised: Annotated[Path, typer.Argument(help="The revision to check.")],
    backend: BackendOption = None,
    backend_option: BackendOptions = None,
    judge: Annotated[
        str, typer.Option(help="Judge of new sentences: model (the backend), offline, or none.")
    ] = "none",
) -> None:
    """Check that a revision adds no claim or result the original lacks (exit status 1 if it
    does): new numbers and claim words always, new sentences by a judge when one is given."""
    import tempfile

    from airlab.plans.calls import CallTally
    from airlab.plans.extract import read_paper
    from airlab.plans.faithfulness import check_faithful

    before, after = read_paper(original), read_paper(revised)
    options = parse_pairs(backend_option, "--backend-option") or None
    with tempfile.TemporaryDirectory(prefix="airlab-faithful-") as scratch:
        checker = make_judge(judge, backend, options, Path(scratch), CallTally())
        report = check_faithful(before, after, checker)
    console = Console()
    for text in report.added:
        console.print(f"  [red]added[/] {escape(text)}", highlight=False, soft_wrap=True)
    for text in report.undecided:
        console.print(f"  [yellow]undecided[/] {escape(text)}", highlight=False, soft_wrap=True)
    if report.faithful:
        console.print(
            f"[green]✓[/] faithful ({report.new_sentences} rewritten or new sentence(s), none "
            "adding a claim or result)"
        )
        return
    console.print(
        f"[red]✗[/] not faithful: {len(report.added) + len(report.undecided)} sentence(s)"
    )
    raise typer.Exit(1)
