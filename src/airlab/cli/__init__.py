"""The `airlab` command line: run, resume, tasks (and more as packages land).

Every user error prints one line naming the file, field or value, and exits with status 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from airlab.cli import (
    agent_commands,
    evolve_command,
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
app.command("run")(run_commands.run)
app.command("resume")(run_commands.resume)
app.command("rank")(rank)
app.command("view")(report_commands.view)
app.command("report")(report_commands.report)
app.command("export")(report_commands.export)
app.add_typer(task_commands.tasks_app, name="tasks")
app.add_typer(task_commands.task_app, name="task")
app.command("sweep")(sweep_command.sweep)
app.add_typer(agent_commands.agent_app, name="agent")
app.command("evolve")(evolve_command.evolve)


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
