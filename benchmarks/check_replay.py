"""Each repair and check before running, measured by itself on the model's fixed answers.

    python benchmarks/check_replay.py bench-llm/runs/*-greedy*

Live rows at temperature 0.5 cannot show a change of a few scripts in six: sampling noise is
larger. Here the answers are held fixed: every script the model wrote in the given airlab runs
(`llm_calls.jsonl`, the last answer of each write: the reminder's or the retry's when there was
one) goes
through the repairs and checks with all of them on, and with each one switched off by itself,
is run in the sandbox on the task's public data when no check refuses it, and is graded on the
hidden `search` split. No model is called.

A valid script whose submission predicts one value for every row (the skeleton's constant
placeholder kept) is counted valid and marked constant: valid, not a solution.

What this measures is each step's effect on the scripts as written: a repair's gain (scripts
valid only with it), and a check's cost (scripts it refuses that would have run valid: false
alarms) and its catches (scripts it refuses that would have failed: those go to debug with a
one-line diagnosis instead of a run, whose value shows only in live runs, as the debug answer
then differs). Unchanged-code and cut-off checks are not the subject, so each script is checked
without its parents.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from airlab.backends import Candidate
from airlab.backends.llm.record import LLM_CALLS_FILE
from airlab.grading.grader import Grader
from airlab.journal import Journal
from airlab.operators.checks import Checks, candidate_problem
from airlab.operators.parsing import parse_answer
from airlab.operators.repairs import REPAIRS, repair
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.sandbox.packages import Packages, probe_packages
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import resolve_task
from airlab.tasks.spec import TASK_FILE, load_spec
from airlab.tasks.task import Task

WRITES = ("draft", "improve", "debug")
"""The purposes of the calls that write a script (a reminder's purpose adds `-reminder`)."""
CHECKS = (
    "check_imports",
    "check_names",
    "check_features",
    "check_target_reads",
    "check_splits",
    "check_constant",
)
SETTINGS = ("all on", *(f"{name} off" for name in (*REPAIRS, *CHECKS)))


def written_scripts(run_dir: Path) -> Iterator[tuple[str, str]]:
    """(node, code) of every write of the run, as the model answered it (before repairs): the
    last answer with code of the node's write calls (a reminder's, or a retry's after a check
    refused the first script or found it unchanged, replaces the one before)."""
    last: dict[str, str] = {}
    for line in (run_dir / LLM_CALLS_FILE).read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        purpose = str(record.get("purpose") or "").split("-")[0]
        text = (record.get("response") or {}).get("text")
        if purpose in WRITES and text and record.get("node_id") is not None:
            parsed = parse_answer(text)
            if parsed is not None:
                last[str(record["node_id"])] = parsed.code
    yield from last.items()


def prepared(code: str, task: Task, packages: Packages | None, setting: str) -> str | None:
    """The script that would run under `setting` (one step switched off, or none), or None
    when a check refuses it."""
    off = setting.removesuffix(" off")
    repaired, _ = repair(code, task, **{name: off != name for name in REPAIRS})
    checks = Checks(
        imports=off != "check_imports",
        names=off != "check_names",
        features=off != "check_features",
        target_reads=off != "check_target_reads",
        splits=off != "check_splits",
        constant=off != "check_constant",
        targets=tuple(task.spec.target_columns),
    )
    problem = candidate_problem(Candidate("", repaired), [], packages=packages, checks=checks)
    return None if problem is not None else repaired


@dataclass
class Tally:
    """Per setting: scripts valid, valid ones that predict one constant, and scripts a check
    refused."""

    scripts: int = 0
    valid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SETTINGS, 0))
    constant: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SETTINGS, 0))
    refused: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SETTINGS, 0))

    def add(self, other: Tally) -> None:
        self.scripts += other.scripts
        for setting in SETTINGS:
            self.valid[setting] += other.valid[setting]
            self.constant[setting] += other.constant[setting]
            self.refused[setting] += other.refused[setting]


def is_constant(submission: bytes | None, targets: tuple[str, ...]) -> bool:
    """A submission that predicts one value per target column (for every row)."""
    if not submission:
        return False
    frame = pd.read_csv(io.BytesIO(submission))
    present = [c for c in targets if c in frame.columns]
    return bool(present) and all(frame[c].nunique(dropna=False) <= 1 for c in present)


def replay_run(run_dir: Path) -> Tally:
    """Every written script of `run_dir` under every setting (each distinct script run once)."""
    with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
        task_root = Path(journal.get_meta("task_root", ""))
        task = resolve_task(task_root if task_root.is_dir() else journal.get_meta("config")["task"])
        stored = journal.get_meta("packages")
    packages = Packages.from_meta(stored) if stored else None
    return replay_scripts(list(written_scripts(run_dir)), task, packages)


def replay_files(task_ref: str, files: list[Path]) -> Tally:
    """Scripts kept as files (the model's, recorded elsewhere; an AIDE `journal.json` gives
    each of its nodes' scripts) on `task_ref`, the packages probed in this machine's sandbox.
    AIDE's layout (`./input/`, `./working/submission.csv`) is read as airlab's (`public/`,
    `submission.csv`), the only change made to them."""
    task = resolve_task(task_ref)
    sandbox = get_sandbox("auto")
    packages = probe_packages(sandbox)
    scripts = []
    for path in files:
        if path.suffix == ".json":  # an AIDE journal: each node's script
            nodes = json.loads(path.read_text()).get("nodes", [])
            scripts += [(f"{path}:{n['id']}", n["code"]) for n in nodes if n.get("code")]
        else:
            scripts.append((str(path), path.read_text()))
    return replay_scripts([(n, _airlab_layout(c)) for n, c in scripts], task, packages)


def _airlab_layout(code: str) -> str:
    for aide, airlab in (("./working/submission.csv", "submission.csv"),
                         ("working/submission.csv", "submission.csv"),
                         ("./input/", "public/"), ("input/", "public/")):  # fmt: skip
        code = code.replace(aide, airlab)
    return code


def replay_scripts(scripts: list[tuple[str, str]], task: Task, packages: Packages | None) -> Tally:
    """(name, code) scripts under every setting, each distinct prepared script run once."""
    sandbox, grader = get_sandbox("auto"), Grader(task)
    limits = ExecutionLimits(time_s=task.spec.limits.time_s, memory_mb=task.spec.limits.memory_mb)
    outcome: dict[str, tuple[bool, bool]] = {}
    targets = tuple(task.spec.target_columns)
    tally = Tally()
    with tempfile.TemporaryDirectory() as scratch:
        for _name, code in scripts:
            tally.scripts += 1
            for setting in SETTINGS:
                script = prepared(code, task, packages, setting)
                if script is None:
                    tally.refused[setting] += 1
                    continue
                key = hashlib.sha256(script.encode()).hexdigest()
                if key not in outcome:
                    workdir = Path(scratch) / key[:16]
                    request = ExecutionRequest(
                        script=script, workdir=workdir, public_dir=task.public_dir, limits=limits
                    )
                    execution = sandbox.run(request)
                    valid = bool(
                        execution.succeeded
                        and grader.grade(execution.submission, ("search",)).valid
                    )
                    outcome[key] = (valid, valid and is_constant(execution.submission, targets))
                tally.valid[setting] += outcome[key][0]
                tally.constant[setting] += outcome[key][1]
    return tally


def table(tallies: dict[str, Tally]) -> str:
    """One line per setting: valid scripts and refused ones, per task and over all."""
    names = list(tallies)
    header = " | ".join(f"{n} ({tallies[n].scripts} scripts)" for n in names)
    lines = [f"| setting | {header} |", "|---|" + "---|" * len(names)]
    for setting in SETTINGS:
        cells = []
        for name in names:
            tally = tallies[name]
            cell = f"{tally.valid[setting]} valid"
            if tally.constant[setting]:
                cell += f" ({tally.constant[setting]} constant)"
            if tally.refused[setting]:
                cell += f", {tally.refused[setting]} refused"
            delta = tally.valid[setting] - tally.valid["all on"]
            if setting != "all on" and delta:
                cell += f" ({delta:+d})"
            cells.append(cell)
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def task_of(run_dir: Path) -> str:
    """The task's own name (a folder task's built copy is named with a hash of its path)."""
    with Journal.open(run_dir / "journal.sqlite", read_only=True) as journal:
        root = Path(journal.get_meta("task_root", ""))
    spec = root / TASK_FILE
    return load_spec(spec).name if spec.is_file() else run_dir.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", type=Path, metavar="RUN_DIR")
    parser.add_argument(
        "--scripts",
        nargs="+",
        metavar="TASK FILE",
        help="instead of runs: a task, then script files the model wrote for it",
    )
    parser.add_argument("--json", type=Path, help="also write the tallies here")
    args = parser.parse_args(argv)
    tallies: dict[str, Tally] = {}
    if args.scripts:
        task_ref, *files = args.scripts
        tallies[task_ref] = replay_files(task_ref, [Path(f) for f in files])
    elif not args.runs:
        parser.error("give RUN_DIRs or --scripts TASK FILE...")
    for run_dir in args.runs:
        if not (run_dir / LLM_CALLS_FILE).is_file():
            raise SystemExit(f"{run_dir}: no {LLM_CALLS_FILE} (not an airlab LLM run)")
        tally = replay_run(run_dir)
        tallies.setdefault(task_of(run_dir), Tally()).add(tally)
        print(f"{run_dir.name}: {tally.scripts} scripts, {tally.valid}", flush=True)
    if len(tallies) > 1:
        tallies["all"] = Tally()
        for name in list(tallies)[:-1]:
            tallies["all"].add(tallies[name])
    if args.json:
        args.json.write_text(json.dumps({k: vars(v) for k, v in tallies.items()}, indent=1))
    print(table(tallies))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
