"""`airlab view`, `airlab report` and `airlab export`: reading runs, never changing them."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from airlab.errors import ConfigError

# The report package (pygments, matplotlib) is imported inside each command, so that it costs
# nothing to the start-up of `airlab run`.
EXPORT_FORMATS = ("jsonl", "mlflow")
DATASET_KINDS = ("sft", "preferences", "rl")


def view(
    run_dir: Annotated[Path, typer.Argument(help="The run folder to view.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RUN_DIR/view.html).")
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open it in a web browser.")] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Serve it on 127.0.0.1, refreshing while the run goes on."),
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve (0: any free port).")] = 8765,
) -> None:
    """Write one self-contained HTML page showing a run's search tree and every node's details.

    The page needs no network: styles, script and data are inside it. Click a node for its plan,
    highlighted code, diff against its parent, output, scores, timings and tokens.
    """
    from airlab.report import write_view

    console = Console(soft_wrap=True)
    if serve:
        from airlab.report.serve import make_server, url_of

        server = make_server(run_dir, port)
        url = url_of(server)
        console.print(f"serving {run_dir} at {url} (Ctrl-C to stop)")
        if open_:
            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            server.server_close()
        return
    path = write_view(run_dir, out)
    console.print(f"wrote {path}")
    if open_:
        webbrowser.open(path.resolve().as_uri())


def report(
    runs: Annotated[
        list[Path],
        typer.Argument(help="Run folders, or folders holding them (several runs: compared)."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")] = Path(
        "report"
    ),
    formats: Annotated[
        str, typer.Option("--format", help="Plot formats, comma-separated: png, svg.")
    ] = "png",
) -> None:
    """Plots (best score against candidates and time, operators, self-reported vs hidden, final
    choice, agents across tasks), an HTML view per run, and a markdown summary."""
    from airlab.report.bundle import write_report

    files = write_report(runs, out, formats=[f.strip() for f in formats.split(",") if f.strip()])
    console = Console(soft_wrap=True)
    console.print(
        f"wrote {files.summary}, {len(files.plots)} plot file(s), {len(files.views)} view(s)"
    )


def export(
    runs: Annotated[list[Path], typer.Argument(help="The run folder(s) to export.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="jsonl (node records) or mlflow, for one run; sft, preferences or rl "
            "(training datasets), for any number of runs.",
        ),
    ] = "jsonl",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output file: .jsonl, or .parquet with pyarrow (default RUN_DIR/nodes.jsonl "
            "for jsonl, ./<kind>.jsonl for datasets).",
        ),
    ] = None,
    hold_out_task: Annotated[
        list[str] | None,
        typer.Option(
            "--hold-out-task",
            help="Datasets: write this task's records to OUT.heldout.* instead (repeatable).",
        ),
    ] = None,
    preference_format: Annotated[
        str,
        typer.Option(help="Preferences: trl (prompt/chosen/rejected) or openai."),
    ] = "trl",
    metadata: Annotated[
        bool,
        typer.Option(help="Datasets: keep each record's metadata (task, node ids, scores)."),
    ] = True,
    mixed_prompts: Annotated[
        bool,
        typer.Option(
            "--mixed-prompts",
            help="Preferences: pair siblings whose prompts differ too (default: same prompt).",
        ),
    ] = False,
    tracking_uri: Annotated[
        str | None,
        typer.Option(help="MLflow tracking URI (default: a file store in ./mlruns)."),
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="MLflow experiment (default airlab-TASK).")
    ] = None,
) -> None:
    """Export runs: node records (JSONL) or an MLflow run of one run, or a training dataset
    (SFT pairs, preference pairs, RL steps) in the conversational messages format."""
    if to not in EXPORT_FORMATS + DATASET_KINDS:
        known = ", ".join(EXPORT_FORMATS + DATASET_KINDS)
        raise ConfigError(f"option --to: unknown {to!r} (known: {known})")
    console = Console(soft_wrap=True)
    if to in DATASET_KINDS:
        from airlab.report.datasets import export_dataset

        path = out or Path(f"{to}.jsonl")
        written = export_dataset(
            to,
            runs,
            path,
            hold_out_tasks=hold_out_task or (),
            style=preference_format,
            metadata=metadata,
            mixed_prompts=mixed_prompts,
        )
        console.print(f"wrote {written.records} {to} record(s) to {written.path}")
        if written.held_out_path is not None:
            console.print(
                f"wrote {written.held_out_records} held-out record(s) to {written.held_out_path}"
            )
        return
    if len(runs) != 1:
        raise ConfigError(f"--to {to} exports one run folder, got {len(runs)}")
    from airlab.report import load_run
    from airlab.report.export import export_mlflow, write_jsonl

    run = load_run(runs[0])
    if to == "jsonl":
        path = out or run.root / "nodes.jsonl"
        count = write_jsonl(run, path)
        console.print(f"wrote {count} node record(s) to {path}")
        return
    uri = tracking_uri or Path("mlruns").resolve().as_uri()
    run_id = export_mlflow(run, uri, experiment)
    console.print(f"logged {run.name} to MLflow at {uri} (run {run_id})")
