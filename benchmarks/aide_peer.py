"""AIDE (aideml 0.2.2 from PyPI) on an airlab task, and its nodes graded as airlab grades its own.

Used by `local_model.py`. AIDE gets the task's public folder as its `data_dir` and the task's
description as its `desc_file` (with `public/` read as AIDE's `./input/`, where AIDE copies the
data); it talks to the same local server through `OPENAI_BASE_URL` (a model name that is not
OpenAI's, so AIDE uses chat completions there). Its own score for a node is whatever its reviewing
model says the script printed, so each of its scripts is run again here, in airlab's sandbox on
the same public data, with `./input` pointing at it and `./working/submission.csv` taken as the
submission, and graded by airlab's grader on the same hidden `search` split; the node AIDE chose
(its `best_solution.py`) is scored once on `test`, as airlab scores its own final node.

AIDE's install has only what its CLI imports (no torch and the rest of its optional stack), and
the scikit-learn/pandas/numpy versions of airlab's own environment, so that a script fails or
works for the same reasons under both.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from local_runtime import MODEL_ALIAS, ensure_venv

from airlab.backends import Candidate
from airlab.journal import NodeStatus
from airlab.runner import RunConfig, Search, Written
from airlab.runner.finalize import score_on_test
from airlab.tasks import resolve_task

AIDE_VERSION = "0.2.2"
AIDE_CORE_DEPS = (
    "black==24.3.0", "funcy", "humanize", "jsonschema", "rich", "dataclasses_json",
    "omegaconf", "loguru", "shutup", "tqdm", "coolname", "igraph", "genson", "openai",
    "anthropic", "backoff", "python-dotenv", "requests", "scipy",
)  # fmt: skip
"""What `aide` imports (aideml's own requirements add torch, transformers and 50 more)."""

WRAPPER = """import os, runpy, shutil
os.makedirs("working", exist_ok=True)
if not os.path.exists("input"):
    os.symlink("public", "input")
with open("runfile.py", "w") as script:
    script.write(AIDE_SCRIPT)
try:
    runpy.run_path("runfile.py", run_name="__main__")
finally:
    if os.path.isfile("working/submission.csv"):
        shutil.copyfile("working/submission.csv", "submission.csv")
"""
"""AIDE's layout (`./input`, `./working/submission.csv`) on airlab's (`public/`,
`submission.csv`): the script itself runs unchanged, as `runfile.py` (AIDE's own name)."""


def ensure_aide(root: Path) -> Path:
    """The `aide` command of its own venv, installing what is missing, then checked whole: a
    venv with the `aide` command but not its dependencies (an install cut short) is completed,
    and one that still cannot import AIDE's CLI stops the benchmark before its first row."""
    venv = root / "aide-venv"
    python = ensure_venv(venv)
    aide = venv / "bin" / "aide"
    if aide_problem(python) is not None:
        import numpy
        import pandas
        import sklearn

        pins = [
            f"numpy=={numpy.__version__}",
            f"pandas=={pandas.__version__}",
            f"scikit-learn=={sklearn.__version__}",
        ]
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--no-deps", f"aideml=={AIDE_VERSION}"], check=True)
        subprocess.run([*pip, *AIDE_CORE_DEPS, *pins], check=True)
        problem = aide_problem(python)
        if problem is not None:
            raise SystemExit(f"{venv}: AIDE {AIDE_VERSION} is not installed whole: {problem}")
    return aide


AIDE_CHECK = """import importlib.metadata as m, sys
missing = []
for name in sys.argv[1:]:
    try:
        m.version(name.split("==")[0])
    except m.PackageNotFoundError:
        missing.append(name.split("==")[0])
if missing:
    sys.exit("missing " + ", ".join(missing))
if m.version("aideml") != {version!r}:
    sys.exit("aideml " + m.version("aideml") + ", not {version}")
import aide.run
"""


def aide_problem(python: Path) -> str | None:
    """Why the venv of `python` cannot run AIDE (one line), or None: aideml at its version,
    every distribution its CLI imports, and its CLI module importing."""
    check = AIDE_CHECK.format(version=AIDE_VERSION)
    done = subprocess.run(
        [str(python), "-c", check, "aideml", *AIDE_CORE_DEPS],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


@dataclass(frozen=True)
class AideNode:
    id: str
    step: int
    parent: str | None
    plan: str
    code: str
    buggy: bool
    claimed: float | None
    """The metric AIDE's reviewer reported for the node."""


@dataclass(frozen=True)
class AideRun:
    nodes: list[AideNode]
    chosen: str | None
    """The node AIDE would submit (its best_solution.py)."""
    seconds: float
    log_dir: Path


def run_aide(
    aide: Path, task_name: str, *, steps: int, base_url: str, out: Path, temperature: float
) -> AideRun:
    task = resolve_task(task_name)
    out.mkdir(parents=True, exist_ok=True)
    description = out / "description.md"
    description.write_text(task.description.replace("`public/`", "`./input/`"))
    overrides = [
        f"data_dir={task.public_dir}",
        f"desc_file={description}",
        f"log_dir={out / 'logs'}",
        f"workspace_dir={out / 'workspaces'}",
        "exp_name=aide",
        f"agent.steps={steps}",
        f"agent.code.model={MODEL_ALIAS}",
        f"agent.code.temp={temperature}",
        f"agent.feedback.model={MODEL_ALIAS}",
        f"agent.feedback.temp={temperature}",
        f"exec.timeout={int(task.spec.limits.time_s)}",
        "generate_report=False",
    ]
    env = {**os.environ, "OPENAI_BASE_URL": f"{base_url}/v1", "OPENAI_API_KEY": "local"}
    started = time.monotonic()
    with (out / "aide.log").open("wb") as log:
        subprocess.run(
            [str(aide), *overrides], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.monotonic() - started
    # AIDE names its log folder `<index>-<exp_name>`: the newest one is this run's
    logs = sorted((out / "logs").glob("*-aide"), key=lambda p: int(p.name.split("-")[0]))
    log_dir = logs[-1] if logs else out / "logs" / "aide"
    return AideRun(*_read_journal(log_dir), seconds=seconds, log_dir=log_dir)


def _read_journal(log_dir: Path) -> tuple[list[AideNode], str | None]:
    path = log_dir / "journal.json"
    if not path.is_file():
        return [], None
    raw = json.loads(path.read_text())
    parents = raw.get("node2parent", {})
    nodes = [
        AideNode(
            id=n["id"],
            step=int(n.get("step") or 0),
            parent=parents.get(n["id"]),
            plan=n.get("plan") or "",
            code=n.get("code") or "",
            buggy=bool(n.get("is_buggy")),
            claimed=(n.get("metric") or {}).get("value"),
        )
        for n in raw.get("nodes", [])
    ]
    nodes.sort(key=lambda n: n.step)
    best = log_dir / "best_solution.py"
    chosen = None
    if best.is_file():
        code = best.read_text()
        chosen = next((n.id for n in nodes if n.code == code), None)
    return nodes, chosen


@dataclass(frozen=True)
class Regraded:
    nodes: int
    valid: int
    best_search: float | None
    chosen_test: float | None
    chosen_claimed: float | None
    chosen_search: float | None
    run_dir: Path


def regrade(run: AideRun, task_name: str, runs_dir: Path, *, name: str = "") -> Regraded:
    """Every AIDE node run again in airlab's sandbox and graded on `search`; AIDE's chosen
    node scored once on `test`. The nodes are an airlab journal (`airlab view` shows them),
    the run `name` (default `<task>-aide`; a task given as a folder passes its own)."""
    config = RunConfig.model_validate(
        {
            "task": task_name,
            "budget": {"steps": max(1, len(run.nodes))},
            "runs_dir": str(runs_dir),
            "run_name": name or f"{task_name}-aide",
            "agent": "AIDE 0.2.2",
        }
    )
    search = Search.create(config)
    ids: dict[str, int] = {}
    for aide_node in run.nodes:
        parent = ids.get(aide_node.parent) if aide_node.parent else None
        operator = "draft" if parent is None else _operator(run, aide_node)
        node = search.journal.add(operator, () if parent is None else (parent,))
        ids[aide_node.id] = node.id
        code = f"AIDE_SCRIPT = {aide_node.code!r}\n" + WRAPPER if aide_node.code.strip() else ""
        written = search.tell_written(Written(node.id, Candidate(aide_node.plan, code), 0.0))
        if written.status == NodeStatus.QUEUED:
            execution = search.sandbox.run(search.start(node.id))
            search.tell(search.tell_executed(node.id, execution))
    nodes = search.journal.nodes()
    good = [n for n in nodes if n.status == NodeStatus.GOOD]
    top = search.tree().best()
    best = None if top is None else search.journal.get(top.id).search_score
    chosen_test = chosen_search = chosen_claimed = None
    if run.chosen is not None:
        node = search.journal.get(ids[run.chosen])
        chosen_claimed = next(n.claimed for n in run.nodes if n.id == run.chosen)
        chosen_search = node.search_score
        if node.status == NodeStatus.GOOD:  # as airlab scores its own final node, once
            chosen_test = score_on_test(search, node)
            search.journal.update(node.id, test_score=chosen_test)
    search.journal.set_meta(status="complete", final_node=ids.get(run.chosen or ""))
    search.journal.close()
    return Regraded(
        len(nodes), len(good), best, chosen_test, chosen_claimed, chosen_search,
        search.folder.root,
    )  # fmt: skip


def _operator(run: AideRun, node: AideNode) -> str:
    parent = next(n for n in run.nodes if n.id == node.parent)
    return "debug" if parent.buggy else "improve"
