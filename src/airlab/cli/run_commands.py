"""`airlab run` and `airlab resume`.

Only light modules are imported here: the runner (and with it numpy, scikit-learn, ...) is
imported by the command that runs, so `--help` and a bad option answer at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from airlab.errors import BackendUnavailableError, ConfigError
from airlab.result import RunStatus

if TYPE_CHECKING:
    from airlab.runner import Run

EXIT_NO_VALID_SOLUTION = 3
"""Exit status of a run (or sweep) that spent its budget without a valid submission."""
EXIT_FAILED = 1
"""Exit status of a run stopped by its backend (a sweep: of any run that failed)."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*$")
_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}


_FLAGS = {
    "task": "--task",
    "policy": "--policy",
    "backend": "--backend",
    "workers": "--workers",
    "llm_concurrency": "--llm-concurrency",
    "seed": "--seed",
    "operators": "--operators",
    "sandbox": "--sandbox",
    "pool": "--pool",
    "pool_options.address": "--ray-address",
    "runs_dir": "--runs-dir",
    "run_name": "--name",
    "agent": "--agent",
    "budget.steps": "--steps",
    "budget.time_s": "--time",
    "budget.tokens": "--tokens",
    "budget.cost_usd": "--cost",
    "limits.time_s": "--time-limit",
    "limits.memory_mb": "--memory-limit",
    "selection.fitness": "--fitness",
    "selection.runtime_weight": "--runtime-weight",
    "selection.top_k": "--top-k",
    "lessons.path": "--lessons",
    "lessons.mode": "--lessons-mode",
    "judge.models": "--judge",
    "judge.samples": "--judge-samples",
    "judge.rule": "--jury-rule",
}
"""Config field → the `airlab run` option that sets it (named in errors instead of the field)."""


def _given(overrides: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the override fields the user set (not None)."""
    names = []
    for key, value in overrides.items():
        if isinstance(value, dict):
            names += _given(value, f"{prefix}{key}.")
        elif value is not None:
            names.append(f"{prefix}{key}")
    return names


def require_lessons_path(path: Path | None, mode: str | None, base: dict[str, Any]) -> None:
    """`--lessons-mode` without a store to apply to is a one-line error naming both options."""
    configured = (base.get("lessons") or {}) if isinstance(base.get("lessons"), dict) else {}
    if mode is not None and path is None and not configured.get("path"):
        raise ConfigError("option --lessons-mode needs --lessons PATH (the lessons store)")


def parse_duration(text: str | None, option: str) -> float | None:
    """'90', '90s', '30m', '1.5h' → seconds."""
    if text is None:
        return None
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"option {option}: expected a duration like 90s, 30m or 2h, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """['num_drafts=3', 'debug_prob=1.0'] → {'num_drafts': 3, 'debug_prob': 1.0}."""
    import yaml

    values: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"option {option}: expected KEY=VALUE, got {pair!r}")
        try:
            values[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            values[key.strip()] = raw
    return values


def parse_purpose_options(pairs: list[str] | None) -> dict[str, dict[str, Any]]:
    """['analysis.temperature=0'] → {'analysis': {'temperature': 0}}."""
    options: dict[str, dict[str, Any]] = {}
    for key, value in parse_pairs(pairs, "--model-option").items():
        purpose, dot, name = key.partition(".")
        if not dot or not purpose or not name:
            raise ConfigError(f"option --model-option: expected PURPOSE.KEY=VALUE, got {key!r}")
        options.setdefault(purpose, {})[name] = value
    return options


def run(
    task: Annotated[
        str | None,
        typer.Option(
            "--task", "-t", help="Bundled task name or task folder (or `task:` in --config)."
        ),
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", "-p", help="Search policy (default greedy).")
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            "-b",
            help="Where candidates come from: templates (default), or provider/model.",
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            help="Budget: candidates to propose. Default: 20 when no budget is given at all; "
            "unbounded when --time, --tokens or --cost is given without it."
        ),
    ] = None,
    time_budget: Annotated[
        str | None, typer.Option("--time", help="Budget: wall-clock time, e.g. 600, 30m, 2h.")
    ] = None,
    tokens: Annotated[
        int | None, typer.Option(help="Budget: LLM tokens, in and out, over the whole run.")
    ] = None,
    cost: Annotated[
        float | None,
        typer.Option(
            help="Budget: LLM cost in USD (refused for a model the price table does not list)."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Candidates executed at once.")
    ] = None,
    llm_concurrency: Annotated[
        int | None,
        typer.Option(
            help="Model calls in flight at once (writes, analyses); default: from 2 x workers, "
            "adapting to the observed latencies so that workers never wait."
        ),
    ] = None,
    lookahead: Annotated[
        bool | None,
        typer.Option(
            "--lookahead/--no-lookahead",
            help="Write the next candidates while others run (default), or only for a free "
            "worker (the order of steps then does not depend on timing).",
        ),
    ] = None,
    preflight: Annotated[
        bool | None,
        typer.Option(
            "--preflight/--no-preflight",
            help="One cheap model call before the first step (a refused key stops the run).",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the policy and backend.")] = None,
    operators: Annotated[
        str | None, typer.Option(help="Operator set: aide (draft/improve/debug) or extended.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-P", help="Policy parameter KEY=VALUE (repeatable)."),
    ] = None,
    backend_option: Annotated[
        list[str] | None,
        typer.Option("--backend-option", "-B", help="Backend option KEY=VALUE (repeatable)."),
    ] = None,
    operator_option: Annotated[
        list[str] | None,
        typer.Option(
            "--operator-option",
            "-O",
            help="Operator option KEY=VALUE, e.g. mode=react, memory=false (repeatable).",
        ),
    ] = None,
    model_for: Annotated[
        list[str] | None,
        typer.Option(
            "--model-for",
            help="PURPOSE=provider/model: another model for draft, improve, debug, crossover, "
            "analysis, choose, ideate, react or lessons (repeatable).",
        ),
    ] = None,
    model_option: Annotated[
        list[str] | None,
        typer.Option(
            "--model-option",
            help="PURPOSE.KEY=VALUE: a backend option of one purpose's model, e.g. "
            "analysis.temperature=0 (repeatable).",
        ),
    ] = None,
    time_limit: Annotated[
        str | None, typer.Option(help="Per-candidate time limit (default: the task's).")
    ] = None,
    memory_limit: Annotated[
        int | None, typer.Option(help="Per-candidate memory limit in MB (default: the task's).")
    ] = None,
    sandbox: Annotated[str | None, typer.Option(help="Sandbox: auto, bwrap or process.")] = None,
    pool: Annotated[str | None, typer.Option(help="Worker pool: local or ray.")] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray pool: 'auto' or ray://host:port joins a cluster (default: local)."),
    ] = None,
    fitness: Annotated[
        str | None,
        typer.Option(help="What the policy optimises: hidden (search split) or self_reported."),
    ] = None,
    runtime_weight: Annotated[
        float | None,
        typer.Option(
            help="Runtime-aware fitness: policies see fitness·(t/L)^W (MARS uses -0.07; 0 off)."
        ),
    ] = None,
    top_k: Annotated[
        int | None,
        typer.Option(
            help="Final choice: the top K nodes by search score are compared on select (default 5)."
        ),
    ] = None,
    ensemble: Annotated[
        bool | None,
        typer.Option(
            help="At the end, add a soup of category experts (SoCE) node to the final choice."
        ),
    ] = None,
    score_all_nodes: Annotated[
        bool | None,
        typer.Option(help="After the choice, score every good node on test (analysis only)."),
    ] = None,
    lessons: Annotated[
        Path | None,
        typer.Option(
            help="Lessons store (SQLite, shared across runs): its lessons enter the prompts, and "
            "the run adds its own when it ends."
        ),
    ] = None,
    lessons_mode: Annotated[
        str | None,
        typer.Option(help="With --lessons: read, write or both (default both)."),
    ] = None,
    judge: Annotated[
        list[str] | None,
        typer.Option(
            help="Plan tasks: a judge backend (e.g. openai/gpt-4o, offline); repeat for a jury "
            "(default: the generator's own model; offline under templates)."
        ),
    ] = None,
    judge_samples: Annotated[
        int | None,
        typer.Option(help="Plan tasks: times each judge decides each rubric item (default 1)."),
    ] = None,
    jury_rule: Annotated[
        str | None,
        typer.Option(help="Plan tasks: how a jury's verdicts become one: mean or majority."),
    ] = None,
    runs_dir: Annotated[
        Path | None, typer.Option(help="Where run folders are created (default ./runs).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Run folder name (default: time-task-policy).")
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            help="Agent folder (agent.yaml, prompts/) or packaged agent name (`airlab agent "
            "list`); the options above override its settings."
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            help="Agent label in rankings (default: the agent's name, or policy/backend)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML run configuration; options above override it."),
    ] = None,
) -> None:
    """Search for a solution to a task and report the final node's hidden scores.

    The policy proposes steps (draft, improve, debug, ...), the backend writes each candidate, the
    sandbox runs it on the task's public data, and the framework scores it on a hidden split.
    At the end the final node is chosen on a second hidden split and scored once on the test split.
    """
    from airlab.runner.config import load_config, merge, read_config_file

    base = read_config_file(config) if config else {}
    loaded = None
    if agent:
        from airlab.agents import load_agent  # the plug-in registries: only for --agent

        loaded = load_agent(agent)
    if task is None and "task" not in base:
        raise ConfigError("option --task is required (or a --config file with a `task:` field)")
    require_lessons_path(lessons, lessons_mode, base)
    overrides: dict[str, Any] = {
        "task": task,
        "policy": policy,
        "backend": backend,
        "workers": workers,
        "llm_concurrency": llm_concurrency,
        "lookahead": lookahead,
        "preflight": preflight,
        "seed": seed,
        "operators": operators,
        "sandbox": sandbox,
        "pool": pool,
        "pool_options": {"address": ray_address},
        "runs_dir": runs_dir,
        "run_name": name,
        "agent": label,
        "policy_params": parse_pairs(param, "--param") or None,
        "backend_options": parse_pairs(backend_option, "--backend-option") or None,
        "operator_options": parse_pairs(operator_option, "--operator-option") or None,
        "models": {k: str(v) for k, v in parse_pairs(model_for, "--model-for").items()} or None,
        "model_options": parse_purpose_options(model_option) or None,
        "budget": {
            "steps": steps,
            "time_s": parse_duration(time_budget, "--time"),
            "tokens": tokens,
            "cost_usd": cost,
        },
        "limits": {
            "time_s": parse_duration(time_limit, "--time-limit"),
            "memory_mb": memory_limit,
        },
        "lessons": {"path": lessons, "mode": lessons_mode},
        "selection": {
            "fitness": fitness,
            "runtime_weight": runtime_weight,
            "top_k": top_k,
            "ensemble": ensemble,
            "score_all_nodes": score_all_nodes,
        },
        "judge": {"models": judge or None, "samples": judge_samples, "rule": jury_rule},
    }
    merged = merge(base, overrides)
    source = str(config) if config else "command line"
    if loaded is not None:
        from airlab.agents import with_agent

        merged = with_agent(loaded, merged)
        source = f"agent {loaded.root} with {source}"
    flags = {field: _FLAGS[field] for field in _given(overrides) if field in _FLAGS}
    run_config = load_config(merged, source=source, flags=flags)
    from airlab.runner import Run  # the search, numpy and scikit-learn: only for a valid config

    _execute(Run.create(run_config, loaded))


def resume(
    run_dir: Annotated[Path, typer.Argument(help="The run folder to continue.")],
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Change the number of workers.")
    ] = None,
) -> None:
    """Continue a run that was interrupted or killed, from its journal.

    Finished nodes are kept as they are; candidates that were being written are written again and
    candidates that were running are run again. A complete run just prints its result.
    """
    from airlab.runner.layout import RunFolder

    RunFolder.existing(run_dir)  # a path that is no run: one line, without loading the search
    from airlab.runner import Run

    run_obj = Run.resume(run_dir, workers=workers)
    if run_obj.complete:
        status = run_obj.search.status
        ended = "complete" if status == RunStatus.COMPLETE else f"finished ({status})"
        Console().print(f"{run_dir}: the run is already {ended}")
    _execute(run_obj)


def _execute(run_obj: Run) -> None:
    from airlab.cli.display import LiveDisplay, result_table

    console = Console()
    try:
        result = run_obj.execute(LiveDisplay(console))
    except BackendUnavailableError as exc:
        console.print(
            f"error: {exc}; the run is marked failed, and `airlab resume {run_obj.folder.root}` "
            "continues it once the backend works",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted; finished nodes are saved. Continue with:[/] "
            f"airlab resume {run_obj.folder.root}"
        )
        raise typer.Exit(130) from None
    console.print(result_table(run_obj, result))
    if result.status == RunStatus.NO_VALID_SOLUTION:
        console.print(
            f"[red]{escape(result.no_solution_line())}[/]", highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_NO_VALID_SOLUTION)
