"""`airlab agent list | show | copy`: the packaged agents, and making one's own from them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

agent_app = typer.Typer(
    help="Agents as folders: list the packaged ones, show one, copy one to edit.",
    no_args_is_help=True,
)


@agent_app.command("list")
def list_agents() -> None:
    """The agents that ship with airlab (run one with `airlab run --agent NAME`)."""
    from airlab.agents import load_agent, packaged_agents

    table = Table(title="packaged agents (airlab agent show NAME for one in full)")
    for column in ("agent", "policy", "operators", "fitness"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold")
    for name in packaged_agents():
        spec = load_agent(name).spec
        summary = " ".join(spec.description.split()).split(": ")[0].split(" (")[0]
        table.add_row(name, spec.policy.name, spec.operators.set, spec.fitness, summary)
    Console().print(table)


@agent_app.command("show")
def show(
    agent: Annotated[str, typer.Argument(help="A packaged agent's name or an agent folder.")],
) -> None:
    """An agent's folder, content hash, prompt overrides and `agent.yaml`."""
    from airlab.agents import AGENT_FILE, load_agent

    loaded = load_agent(agent)
    console = Console()
    console.print(f"agent {escape(loaded.name)} · sha256 {loaded.content_hash}", highlight=False)
    console.print(f"folder {loaded.root}", highlight=False, soft_wrap=True)
    overrides = loaded.prompts().overrides
    console.print(f"prompt overrides: {', '.join(overrides) or 'none'}", highlight=False)
    if loaded.meta is not None:
        meta = loaded.meta
        editable = "on" if meta.self_modification else "off"
        console.print(
            f"meta agent: parent selection {meta.parent_selection.rule}, {meta.edits} edit(s) "
            f"per child, self-modification {editable}",
            highlight=False,
        )
    console.print()
    console.print((loaded.root / AGENT_FILE).read_text(), markup=False, highlight=False)


@agent_app.command("copy")
def copy(
    agent: Annotated[str, typer.Argument(help="A packaged agent's name or an agent folder.")],
    destination: Annotated[Path, typer.Argument(help="The new agent folder (must not exist).")],
    prompts: Annotated[
        bool,
        typer.Option(
            "--prompts", help="Also copy the packaged prompt templates into DEST/prompts to edit."
        ),
    ] = False,
) -> None:
    """Copy an agent into a new folder of your own, to edit and run with `--agent DEST`."""
    from airlab.agents import copy_agent, load_agent
    from airlab.operators.prompt_library import PROMPTS_DIR, TEMPLATE_VARIABLES

    loaded = load_agent(agent)
    copied = copy_agent(loaded, destination)
    if prompts:
        folder = copied / "prompts"
        folder.mkdir(exist_ok=True)
        for name in sorted(TEMPLATE_VARIABLES):
            if not (folder / name).exists():
                shutil.copyfile(PROMPTS_DIR / name, folder / name)
    Console().print(
        f"copied agent {escape(loaded.name)} to {escape(str(copied))}; edit its agent.yaml"
        f"{' and prompts/' if prompts else ''}, then: airlab run --agent {escape(str(copied))} "
        "--task TASK",
        highlight=False,
        soft_wrap=True,
    )
