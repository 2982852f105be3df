"""`airlab evolve`: grow an archive of agent folders with a meta agent (DGM / DGM-Hyperagents)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from airlab.errors import ConfigError

if TYPE_CHECKING:
    from airlab.evolve import Member


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _task_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    return [str(Path(t).resolve()) if Path(t).exists() else t for t in names]


def evolve(
    folder: Annotated[
        list[str],
        typer.Argument(
            help="The archive folder (`resume DIR` or the folder alone continues one).",
            metavar="[resume|view] OUT_DIR",
        ),
    ],
    agent: Annotated[
        str | None, typer.Option("--agent", "-a", help="The seed agent (folder or name).")
    ] = None,
    tasks: Annotated[
        str | None, typer.Option("--tasks", "-t", help="Tasks, comma-separated.")
    ] = None,
    generations: Annotated[int, typer.Option(help="Generations after the seed.")] = 3,
    children: Annotated[int, typer.Option(help="Children per generation.")] = 2,
    stage_tasks: Annotated[
        int, typer.Option(help="Tasks of the first evaluation stage (0: all at once).")
    ] = 0,
    stage_threshold: Annotated[
        float,
        typer.Option(
            help="First-stage score a child needs to go on to every task (with --stage-rule "
            "parent: how far below its parent's it may be)."
        ),
    ] = 0.0,
    stage_rule: Annotated[
        str,
        typer.Option(
            help="threshold: a fixed bar; parent: the child against its parent on the "
            "first-stage tasks."
        ),
    ] = "threshold",
    self_modify: Annotated[
        bool | None,
        typer.Option(
            "--self-modify/--no-self-modify",
            help="Whether the meta agent may edit meta/ (default: as the parent's meta/ says).",
        ),
    ] = None,
    backend: Annotated[
        str,
        typer.Option("--backend", "-b", help="The meta agent: offline, or a chat backend."),
    ] = "offline",
    backend_option: Annotated[
        list[str] | None,
        typer.Option("--backend-option", "-B", help="Meta backend option KEY=VALUE (repeatable)."),
    ] = None,
    steps: Annotated[int, typer.Option(help="Steps of each evaluation run.")] = 2,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Candidates at once.")] = 1,
    pool: Annotated[str, typer.Option(help="Worker pool: local or ray.")] = "local",
    seed: Annotated[int, typer.Option(help="Seed of the draws and of the runs.")] = 0,
    holdout_tasks: Annotated[
        str | None,
        typer.Option(
            help="Held-out tasks, comma-separated: the seed and the best member are evaluated "
            "on them after the last generation."
        ),
    ] = None,
    smoke: Annotated[
        bool, typer.Option("--smoke/--no-smoke", help="A one-step run validates each child.")
    ] = True,
    allow_model_edits: Annotated[
        bool,
        typer.Option(
            "--allow-model-edits",
            help="Let children change their models (default: they keep the seed's).",
        ),
    ] = False,
) -> None:
    """Grow an archive of agents: each generation draws parents, their meta agents write
    children, which are validated and evaluated in stages through `airlab sweep`.

    Running the same command again (or `airlab evolve resume DIR`) continues the archive;
    `airlab evolve view DIR` writes DIR/archive.html, the archive as a tree."""
    from airlab.cli.run_commands import parse_pairs
    from airlab.evolve import EvolveSettings
    from airlab.evolve import evolve as run_evolve
    from airlab.evolve.archive import ARCHIVE_FILE, Archive
    from airlab.evolve.summary import members_table, write_summary

    if len(folder) == 2 and folder[0] == "view":
        from airlab.evolve.view import write_archive_view

        if not (Path(folder[1]) / ARCHIVE_FILE).is_file():
            raise ConfigError(f"{Path(folder[1]) / ARCHIVE_FILE}: no evolve archive to view")
        Console().print(f"wrote {write_archive_view(Path(folder[1]))}", highlight=False)
        return
    if len(folder) == 2 and folder[0] == "resume":
        resume, out = True, Path(folder[1])
    elif len(folder) == 1:
        resume, out = agent is None and tasks is None, Path(folder[0])
    else:
        raise ConfigError("expected OUT_DIR, `resume OUT_DIR` or `view OUT_DIR`")
    if resume:
        settings = None
        if not (out / ARCHIVE_FILE).is_file():
            raise ConfigError(f"{out / ARCHIVE_FILE}: no evolve archive to resume (give --agent)")
    else:
        if agent is None or not tasks:
            raise ConfigError("a new archive needs --agent and --tasks")
        names = _task_list(tasks)
        try:
            settings = EvolveSettings(
                agent=str(Path(agent).resolve()) if Path(agent).is_dir() else agent,
                tasks=names,
                generations=generations,
                children=children,
                stage_tasks=stage_tasks,
                stage_threshold=stage_threshold,
                stage_rule=stage_rule,  # type: ignore[arg-type]  # pydantic checks it
                self_modify=self_modify,
                meta_backend=backend,
                meta_backend_options=parse_pairs(backend_option, "--backend-option"),
                steps=steps,
                workers=workers,
                pool=pool,
                seed=seed,
                smoke=smoke,
                allow_model_edits=allow_model_edits,
                holdout_tasks=_task_list(holdout_tasks or ""),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            option = "--" + str(first["loc"][0]).replace("_", "-")
            raise ConfigError(f"option {option}: {first['msg']}") from None
    console = Console()

    def report(member: Member) -> None:
        parent = "seed" if member.parent is None else f"parent {member.parent}"
        what = (
            f"invalid: {member.reason}"
            if member.reason
            else f"{member.state.value}, score {_fmt(member.score)} "
            f"[{_fmt(member.ci_low)}, {_fmt(member.ci_high)}]"
        )
        console.print(
            f"gen {member.generation} · member {member.id} ({parent}): {escape(what)}",
            highlight=False,
            soft_wrap=True,
        )

    run_evolve(out, settings, report=report)
    from airlab.evolve.view import write_archive_view

    page = write_archive_view(out)
    with Archive.open(out) as archive:
        rows = members_table(archive)
        ranked = write_summary(archive, out)
        spend = archive.spend()
    table = Table(title=f"archive {out} · {len(rows)} members")
    for column in ("id", "gen", "parent", "state", "score", "95% CI", "children", "hash"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["generation"]),
            "-" if row["parent"] is None else str(row["parent"]),
            row["state"],
            _fmt(row["score"]),
            f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]",
            str(row["children"]),
            row["hash"],
        )
    console.print(table)
    if ranked and "methods" in ranked:
        for method, entries in ranked["methods"].items():
            order = ", ".join(e["agent"] for e in entries[:5])
            console.print(f"{method}: {order}", highlight=False)
    for row in rows:
        if row["holdout_score"] is not None:
            console.print(
                f"held-out tasks: member {row['id']} scores {_fmt(row['holdout_score'])}",
                highlight=False,
            )
    console.print(
        f"meta calls: {spend.calls} · tokens {spend.tokens} · ${spend.cost_usd:.4f}",
        highlight=False,
    )
    console.print(f"the archive as a tree: {page}", highlight=False)
