"""`airlab sweep`: a grid of runs through one pool, with a live table; resumable as a whole.

The runner is imported by the command itself (see run_commands), not by this module.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from airlab.cli.run_commands import (
    EXIT_FAILED,
    EXIT_NO_VALID_SOLUTION,
    parse_duration,
    require_lessons_path,
)
from airlab.errors import ConfigError
from airlab.result import FINISHED, RunStatus

if TYPE_CHECKING:
    from airlab.runner.sweep import RunState, Sweep, SweepObserver

_STYLE = {
    RunStatus.COMPLETE.value: "green",
    RunStatus.NO_VALID_SOLUTION.value: "red",
    RunStatus.FAILED.value: "red",
    "running": "cyan",
    "interrupted": "yellow",
}
_ENDED = (RunStatus.COMPLETE.value, RunStatus.NO_VALID_SOLUTION.value, RunStatus.FAILED.value)


def progress_table(sweep: Sweep) -> Table:
    """One row per run: where it stands and its best hidden search score so far."""
    from airlab.cli.display import fmt

    states = list(sweep.states.values())
    done = sum(s.status == RunStatus.COMPLETE for s in states)
    invalid = sum(s.status == RunStatus.NO_VALID_SOLUTION for s in states)
    title = f"sweep {sweep.root.name}: {done}/{len(states)} runs complete"
    table = Table(title=title + (f", {invalid} without a valid solution" if invalid else ""))
    for column in ("run", "status", "steps", "best search", "test", "time"):
        table.add_column(column, no_wrap=True)
    now = time.monotonic()
    for name, state in sweep.states.items():
        elapsed = state.elapsed_s
        if state.status == "running" and state.started is not None:
            elapsed = now - state.started
        total = f"/{state.steps_total}" if state.steps_total else ""
        status = Text(state.status, style=_STYLE.get(state.status, "dim"))
        if state.error:
            status.append(f" {state.error[:60]}")
        table.add_row(
            name,
            status,
            f"{state.steps_done}{total}",
            fmt(state.best_search),
            fmt(state.test_score),
            f"{elapsed:.0f} s",
        )
    return table


class _Lines:
    """Without a terminal: one line per run that ends (a `SweepObserver`, which has no other
    method, without importing the runner at start-up)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def on_update(self, sweep: Sweep, state: RunState) -> None:
        from airlab.cli.display import fmt

        if state.status in _ENDED:
            line = (
                f"{state.cell.name}: {state.status}, {state.steps_done} steps, best search "
                f"{fmt(state.best_search)}, test {fmt(state.test_score)}"
            )
            self.console.print(line + (f" ({state.error})" if state.error else ""), highlight=False)


def sweep(
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Task (repeatable).")
    ] = None,
    policy: Annotated[
        list[str] | None, typer.Option("--policy", "-p", help="Policy (repeatable).")
    ] = None,
    backend: Annotated[
        list[str] | None, typer.Option("--backend", "-b", help="Backend (repeatable).")
    ] = None,
    seeds: Annotated[
        str | None, typer.Option(help="Seeds: a list (0,1,2) or a count (3 means 0,1,2).")
    ] = None,
    agent: Annotated[
        list[str] | None,
        typer.Option(
            "--agent",
            "-a",
            help="Agent folder or packaged agent name (repeatable): replaces the policy and "
            "backend axes, each run taking both from its agent.",
        ),
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Budget of each run: candidates.")] = None,
    time_budget: Annotated[
        str | None, typer.Option("--time", help="Budget of each run: wall-clock time.")
    ] = None,
    time_limit: Annotated[str | None, typer.Option(help="Per-candidate time limit.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Candidates at once, whole sweep.")
    ] = None,
    run_workers: Annotated[int | None, typer.Option(help="Candidates at once per run.")] = None,
    pool: Annotated[str | None, typer.Option(help="Worker pool: local or ray.")] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Ray pool: 'auto' or ray://host:port joins a cluster.")
    ] = None,
    sandbox: Annotated[str | None, typer.Option(help="Sandbox: auto, bwrap or process.")] = None,
    lessons: Annotated[
        Path | None,
        typer.Option(
            help="Lessons store shared by every run (read when each starts, written as each ends)."
        ),
    ] = None,
    lessons_mode: Annotated[
        str | None, typer.Option(help="With --lessons: read, write or both (default both).")
    ] = None,
    sweeps_dir: Annotated[Path, typer.Option(help="Where sweep folders are created.")] = Path(
        "sweeps"
    ),
    name: Annotated[
        str | None,
        typer.Option(
            help="Sweep folder name (default: derived from the grid, so rerunning the"
            " same command continues the same sweep)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML sweep: tasks, policies, backends (or agents), seeds, "
            "workers, run_workers, pool, base (run fields); options override it.",
        ),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue the sweep in this folder.")
    ] = None,
) -> None:
    """Run every combination of tasks × policies × backends × seeds through one worker pool.

    Each run gets its own folder and journal under the sweep folder, and `sweep.json` lists
    them. Running the same command again (or `--resume DIR`) skips complete runs, resumes
    unfinished ones and starts missing ones.
    """
    from airlab.runner.config import merge, read_config_file

    if resume is not None:
        from airlab.runner.sweep import Sweep

        the_sweep = Sweep.open(resume)
    else:
        base = read_config_file(config) if config else {}
        require_lessons_path(lessons, lessons_mode, base.get("base") or {})
        listed = base.pop("agents", None)
        if agent is None and isinstance(listed, list):
            agent = [str(reference) for reference in listed]  # the YAML names them as --agent
        if agent and (policy or backend):
            raise ConfigError(
                "options --agent and --policy/--backend: an agent names its own policy and "
                "backend; to vary them, make agent folders"
            )
        overrides: dict[str, Any] = {
            "tasks": task,
            "agents": _sweep_agents(agent),
            "policies": policy,
            "backends": backend,
            "seeds": _parse_seeds(seeds),
            "workers": workers,
            "run_workers": run_workers,
            "pool": pool,
            "pool_options": {"address": ray_address},
            "base": {
                "sandbox": sandbox,
                "budget": {"steps": steps, "time_s": parse_duration(time_budget, "--time")},
                "limits": {"time_s": parse_duration(time_limit, "--time-limit")},
                "lessons": {"path": str(lessons) if lessons else None, "mode": lessons_mode},
            },
        }
        from airlab.runner.sweep import Sweep, load_spec  # the runner: after the options parse

        spec = load_spec(merge(base, overrides), str(config) if config else "command line")
        folder = sweeps_dir / (name or f"sweep-{spec.digest()}")
        the_sweep = Sweep.create_or_continue(folder, spec)
    _execute(the_sweep)


def _sweep_agents(references: list[str] | None) -> list[dict[str, Any]] | None:
    """Each `--agent` as the sweep records it: where it is, its name, hash, policy, backend."""
    if not references:
        return None
    from airlab.agents import load_agent

    recorded = []
    for reference in references:
        agent = load_agent(reference)
        fields = agent.spec.run_fields()
        packaged = not Path(reference).expanduser().is_dir()
        recorded.append(
            {
                "source": reference if packaged else str(agent.root),
                "name": agent.name,
                "hash": agent.content_hash,
                "policy": fields["policy"],
                "backend": fields["backend"],
            }
        )
    return recorded


def _parse_seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"option --seeds: expected 0,1,2 or a count, got {text!r}") from None
    if len(values) == 1 and "," not in text:
        return list(range(values[0]))
    return values


def _execute(the_sweep: Sweep) -> None:
    from airlab.runner.sweep import SweepObserver

    console = Console()
    console.print(
        f"sweep folder {the_sweep.root} · {len(the_sweep.states)} runs · "
        f"{the_sweep.spec.workers} worker(s) on the {the_sweep.spec.pool} pool · "
        f"{the_sweep.spec.concurrent_runs} run(s) at once"
    )
    live = None
    observer: SweepObserver | _Lines = _Lines(console)
    if console.is_terminal:
        live = Live(get_renderable=lambda: progress_table(the_sweep), console=console)
        observer = SweepObserver()
        live.start()
    try:
        states = the_sweep.execute(cast("SweepObserver", observer))
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
        console.print(
            f"[yellow]interrupted; continue with:[/] airlab sweep --resume {the_sweep.root}"
        )
        raise typer.Exit(130) from None
    if live is not None:
        live.stop()
    else:
        console.print(progress_table(the_sweep))
    statuses = {state.status for state in states.values()}
    if statuses - set(FINISHED):
        raise typer.Exit(EXIT_FAILED)
    if RunStatus.NO_VALID_SOLUTION in statuses:
        raise typer.Exit(EXIT_NO_VALID_SOLUTION)
