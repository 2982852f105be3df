"""The `airlab` command line: run, resume, tasks (and more as packages land).

Every user error prints one line naming the file, field or value, and exits with status 2.
The command modules import only light things (typer, rich, the errors); each command imports
what it runs, so `airlab --help`, `--version` and a mistyped option answer at once
(tests/cli/test_cli_start.py checks that numpy, pandas, scikit-learn, ... stay unimported).
Exit statuses: 0 a run (every run of a sweep) found a valid solution; 1 a run was stopped by its
backend (a sweep: a run failed or was interrupted); 2 bad input (broken task data included,
refused before the first step); 3 the budget was spent without a valid submission
(`no_valid_solution`); 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

import airlab
from airlab.cli import (
    agent_commands,
    ensemble_command,
    evolve_command,
    lessons_commands,
    plan_commands,
    report_commands,
    run_commands,
    sweep_command,
    task_commands,
)
from airlab.cli.rank import rank
from airlab.errors import AirlabError

app = typer.Typer(
    name="airlab",
    help="AI research agents as search policies over candidate solutions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"airlab {airlab.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """AI research agents as search policies over candidate solutions."""


app.command("run")(run_commands.run)
app.command("resume")(run_commands.resume)
app.command("rank")(rank)
app.command("view")(report_commands.view)
app.command("report")(report_commands.report)
app.command("export")(report_commands.export)
app.add_typer(task_commands.tasks_app, name="tasks")
app.add_typer(task_commands.task_app, name="task")
app.command("sweep")(sweep_command.sweep)
app.command("ensemble")(ensemble_command.ensemble)
app.add_typer(agent_commands.agent_app, name="agent")
app.command("evolve")(evolve_command.evolve)
app.add_typer(plan_commands.plans_app, name="plans")
app.add_typer(plan_commands.rubric_app, name="rubric")
app.add_typer(lessons_commands.lessons_app, name="lessons")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except AirlabError as exc:
        Console(stderr=True).print(
            f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except KeyboardInterrupt:
        Console(stderr=True).print("[yellow]interrupted[/]")
        sys.exit(130)
