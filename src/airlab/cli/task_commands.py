"""`airlab tasks` (the bundled suite) and `airlab task ...` (tools for any task folder).

`airlab.tasks` (pandas, numpy) is imported by each command, not by this module, so that `--help`
answers at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from airlab.errors import AirlabError, TaskError

if TYPE_CHECKING:
    from airlab.tasks.spec import TaskSpec

tasks_app = typer.Typer(
    help="The bundled tasks: list them, or show one's card.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
task_app = typer.Typer(
    help="Check, score, import and rank task folders.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:.4f}"


@tasks_app.callback()
def tasks(context: typer.Context) -> None:
    """List the bundled tasks: type, metric and direction, baseline and reference scores."""
    if context.invoked_subcommand is not None:
        return
    from airlab.tasks import TASKS, source_spec

    table = Table(
        title="airlab tasks",
        caption="↑ maximize, ↓ minimize; baseline: the task's baseline.py on test; reference: "
        "the best of its leaderboard; `airlab tasks show NAME` for the data source and card",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    rows: list[tuple[str, ...]] = []
    broken: list[str] = []
    for name in TASKS:
        try:
            spec = source_spec(name)
        except AirlabError as exc:  # an installed task plug-in that fails to load
            broken.append(str(exc))
            continue
        rows.append(
            (
                spec.name,
                spec.type if spec.kind == "code" else spec.kind,
                f"{spec.metric} {'↑' if spec.maximize else '↓'}",
                _fmt(spec.baseline.score if spec.baseline else None),
                _fmt(spec.reference.score if spec.reference else None),
            )
        )
    # scores are never cut short: on a narrow terminal, long names, types and metrics are
    widths = {"name": 20, "type": 13, "metric": 17}
    for index, column in enumerate(("name", "type", "metric", "baseline", "reference")):
        widest = max([len(column), *(len(row[index]) for row in rows)])
        if column in widths:
            table.add_column(column, no_wrap=True, max_width=widths[column])
        else:
            table.add_column(column, no_wrap=True, min_width=widest)
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    for message in broken:
        console.print(f"[red]{escape(message)}[/red]")


@tasks_app.command("show")
def show(name: Annotated[str, typer.Argument(help="Bundled task name or task folder.")]) -> None:
    """Print a task's card: its fields, reference scores and the description agents read."""
    from rich.markdown import Markdown

    from airlab.tasks import TASKS, resolve_task, source_spec

    if name in TASKS:
        root, spec = TASKS.get(name), source_spec(name)
    else:
        task = resolve_task(name)
        root, spec = task.root, task.spec
    console = Console()
    console.print(_card(spec))
    console.print(Markdown((root / "description.md").read_text()))


def _card(spec: TaskSpec) -> Table:
    table = Table(show_header=False, title=f"{spec.name} — {spec.title}", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = {
        "type": spec.type,
        "metric": f"{spec.metric} ({spec.direction})"
        + (f", {spec.metric_params}" if spec.metric_params else ""),
        "grader": spec.grader or spec.grade_fn or "registered metric",
        "target columns": ", ".join(spec.target_columns),
        "time column": spec.time_column or "—",
        "baseline": f"{_fmt(spec.baseline.score)} — {spec.baseline.note}" if spec.baseline else "—",
        "reference": (
            f"{_fmt(spec.reference.score)} — {spec.reference.note}" if spec.reference else "—"
        ),
        "leaderboard": spec.leaderboard or "—",
        "limits": f"{spec.limits.time_s:g} s, {spec.limits.memory_mb} MB, {spec.limits.cpus} CPU",
        "source": spec.source or "—",
    }
    for key, value in rows.items():
        table.add_row(key, value)
    return table


@task_app.command("check")
def check(
    folder: Annotated[str, typer.Argument(help="Task folder, or a bundled task name.")],
    sandbox: Annotated[str, typer.Option(help="Sandbox to run the baseline in.")] = "auto",
    no_baseline: Annotated[
        bool, typer.Option("--no-baseline", help="Skip running baseline.py.")
    ] = False,
) -> None:
    """Validate a task folder and run its baseline through the sandbox and the grader."""
    from airlab.curation import check_task
    from airlab.tasks import resolve_task

    console = Console()
    task = resolve_task(folder)
    report = check_task(task, sandbox=sandbox, run_baseline=not no_baseline)
    for note in report.notes:
        console.print(f"  · {escape(note)}", highlight=False, soft_wrap=True)
    for warning in report.warnings:
        console.print(f"  [yellow]! {escape(warning)}[/]", highlight=False, soft_wrap=True)
    if report.baseline_scores:
        scores = ", ".join(f"{k} {v:.6f}" for k, v in report.baseline_scores.items())
        console.print(f"  · baseline.py scores: {scores}", highlight=False)
    for problem in report.problems:  # one line each, whatever the terminal's width
        console.print(f"  [red]✗[/] {escape(problem)}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise TaskError(f"{task.root}: {len(report.problems)} problem(s) found by task check")
    console.print(f"[green]✓[/] {task.name}: task check passed")


@task_app.command("score")
def score(
    folder: Annotated[str, typer.Argument(help="Task folder, or a bundled task name.")],
    submission: Annotated[Path, typer.Argument(help="A submission.csv to grade.")],
) -> None:
    """Grade a submission on every hidden split (for task authors; agents never see this)."""
    from airlab.curation import score_submission
    from airlab.tasks import SPLITS, resolve_task

    task = resolve_task(folder)
    if not submission.is_file():
        raise TaskError(f"{submission}: file not found")
    grade = score_submission(task, submission)
    if not grade.valid:
        raise TaskError(f"{submission}: invalid submission: {grade.reason}")
    table = Table(title=f"{task.name}: {task.spec.metric} ({task.spec.direction})")
    for split in SPLITS:
        table.add_column(split)
    table.add_row(*(f"{grade.scores[split]:.6f}" for split in SPLITS))
    Console().print(table)


@task_app.command("import")
def import_task(
    source: Annotated[
        str,
        typer.Argument(
            help="MLE-bench competition id or folder, MLGym task YAML or AIRS task folder "
            "(with --all: the destination folder)."
        ),
    ],
    dest: Annotated[
        Path | None, typer.Argument(help="Where to write the airlab task folder.")
    ] = None,
    kind: Annotated[
        str, typer.Option("--from", help="Source format: mlebench, mlgym or airs.")
    ] = "mlebench",
    all_of: Annotated[
        str | None,
        typer.Option("--all", help="MLE-bench: import a whole split (lite, low, medium, high)."),
    ] = None,
    mlebench: Annotated[
        Path | None,
        typer.Option(help="MLE-bench: your clone (default: where mlebench is installed)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="MLE-bench: the data folder `mlebench prepare` wrote (default "
            "~/.cache/mle-bench/data); AIRS: the task's exported data (default SOURCE/data)."
        ),
    ] = None,
    leaderboard: Annotated[
        Path | None,
        typer.Option(
            help="MLE-bench: the leaderboard CSV, when the clone holds a Git LFS pointer "
            "(with --all: a folder of ID.csv)."
        ),
    ] = None,
    answers: Annotated[
        Path | None, typer.Option(help="MLGym: the labels of test.csv, if not beside the data.")
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="MLGym: the repository root (default: from the YAML).")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            help="MLGym: a registered metric, or 'evaluate' to grade with the task's evaluate.py."
        ),
    ] = None,
    hidden_splits: Annotated[
        str,
        typer.Option(
            help="train: search/select from the training rows, the test set whole; held-out: "
            "all three cut from the test rows."
        ),
    ] = "train",
    train_fraction: Annotated[
        float, typer.Option(help="Share of the training rows moved to search and select.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the hidden split assignment.")] = 20240701,
) -> None:
    """Convert a task of another benchmark into an airlab task folder (then run `task check`)."""
    from airlab.tasks.importers import IMPORTERS, import_airs, import_mlebench, import_mlgym
    from airlab.tasks.importers.common import SplitChoice
    from airlab.tasks.importers.mlebench import import_mlebench_split
    from airlab.tasks.spec import SplitSource

    if kind not in IMPORTERS:
        raise TaskError(f"option --from: expected one of {', '.join(IMPORTERS)}, got {kind!r}")
    choices = [s.value for s in SplitSource]
    if hidden_splits not in choices:
        raise TaskError(
            f"option --hidden-splits: expected one of {', '.join(choices)}, got {hidden_splits!r}"
        )
    if not 0 < train_fraction < 1:
        raise TaskError(
            f"option --train-fraction: expected a share in (0, 1), got {train_fraction}"
        )
    splits = SplitChoice(SplitSource(hidden_splits), seed, train_fraction)
    console = Console()
    if all_of is not None:
        if kind != "mlebench" or dest is not None:
            raise TaskError("option --all: takes one folder (the destination) and --from mlebench")
        result = import_mlebench_split(
            all_of,
            Path(source),
            clone=mlebench,
            data_dir=data,
            leaderboards=leaderboard,
            splits=splits,
        )
        for name, task in result.imported.items():
            console.print(f"[green]✓[/] {name} → {task.root}", highlight=False)
        for name, reason in result.skipped.items():
            console.print(f"  · skipped {name}: {escape(reason)}", highlight=False)
        for name, reason in result.failed.items():
            console.print(f"  [red]✗[/] {name}: {escape(reason)}", highlight=False)
        console.print(
            f"{all_of}: {len(result.imported)} imported, {len(result.skipped)} skipped, "
            f"{len(result.failed)} failed",
            highlight=False,
        )
        if result.failed or not result.imported:
            raise TaskError(f"{all_of}: {len(result.failed)} competition(s) failed to import")
        return
    if dest is None:
        raise TaskError("missing argument DEST: where to write the airlab task folder")
    if kind == "mlebench":
        task = import_mlebench(
            source, dest, clone=mlebench, data_dir=data, leaderboard=leaderboard, splits=splits
        )
    elif kind == "mlgym":
        task = import_mlgym(
            Path(source), dest, root=root, answers_path=answers, metric=metric, splits=splits
        )
    else:
        task = import_airs(Path(source), dest, data_dir=data, splits=splits)
    console.print(
        f"[green]✓[/] imported {task.name} ({task.spec.metric}, {task.spec.direction}) into "
        f"{task.root}; next: airlab task check {task.root}",
        highlight=False,
    )


@task_app.command("build-leaderboard")
def build_leaderboard(
    folder: Annotated[str, typer.Argument(help="Task folder, or a bundled task name.")],
    variants: Annotated[int, typer.Option(help="Tuned variants besides the drafts.")] = 4,
    workers: Annotated[int, typer.Option(help="Solutions run at once.")] = 2,
    sandbox: Annotated[str, typer.Option(help="Sandbox to run the solutions in.")] = "auto",
) -> None:
    """Rank a population of real solutions on the hidden test split into leaderboard.csv."""
    from airlab.curation.leaderboard import population, score_population, write_leaderboard
    from airlab.tasks import TASKS, resolve_task

    task = resolve_task(folder)
    # A bundled task's leaderboard belongs with its sources, which ship in the package.
    destination = TASKS.get(folder) if folder in TASKS else task.root
    entries = score_population(
        task, population(task, variants=variants), sandbox=sandbox, workers=workers
    )
    console = Console()
    for entry in entries:
        if entry.score is None:
            console.print(
                f"  [yellow]left out[/] {entry.name}: {escape(entry.reason or '')}", highlight=False
            )
    frame = write_leaderboard(task, entries, destination)
    table = Table(title=f"{task.name}: {task.spec.metric} ({task.spec.direction}) on test")
    for column in ("rank", "score", "family", "name"):
        table.add_column(column, overflow="fold")
    for row in frame.itertuples():
        table.add_row(str(row.rank), f"{row.score:.6f}", row.family, row.name[:70])
    console.print(table)
    console.print(f"wrote {destination / 'leaderboard.csv'} and updated its task.yaml")
