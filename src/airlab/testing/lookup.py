"""Look-up attacks: candidates that try to find a bundled task's answers instead of learning them.

Every bundled task is built from a data set that ships inside an installed package. One script
per task runs every attack in the sandbox and writes what each one found as `attack-<name>.csv`
in its workdir (the sample submission when it found nothing), with a JSON report on stdout:

- `loader`: the task's own `prepare.py` (its source pasted in: it is public, in airlab's
  repository) run against the package loaders (`sklearn.datasets.load_*`,
  `statsmodels.datasets.*.load_pandas`, `sktime.datasets.load_*`), with airlab's writers
  swapped for stubs that keep the full labelled table; test rows are matched on their features.
- `airlab`: the installed airlab itself: the prepared task in the data home (the host's, guessed,
  and the default), else its bundled `prepare.py` run with its own seed into a scratch folder.
- `files`: every data-looking file the candidate can read (sys.path, /usr, /opt, caches of pip,
  Hugging Face, scikit-learn, the host's home) searched for the test rows' feature values; it
  reports how many test rows it found (a copy of the data somewhere) and where.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airlab.tasks.bundled import TASKS
from airlab.tasks.task import Task

ATTACKS = ("loader", "airlab", "files")
REPORT_MARK = "LOOKUP-REPORT "


@dataclass(frozen=True)
class AttackReport:
    """What an attack script found: test rows matched per `task/attack`, its errors, and the
    files where the files attack found test rows."""

    matched: dict[str, int]
    errors: dict[str, str]
    found_in: list[str]


def attack_script(
    tasks: Sequence[Task], *, attacks: Sequence[str] = ATTACKS, host_data_home: Path
) -> str:
    """One script running `attacks` against `tasks`, whose public folders it finds at
    `public/<name>` when there are several, else at `public/` (see the module docstring).

    Each attack writes `attack-<task>-<attack>.csv` (the files attack only reports)."""
    unknown = set(attacks) - set(ATTACKS)
    if unknown:
        raise ValueError(f"unknown attacks {sorted(unknown)}; known: {', '.join(ATTACKS)}")
    entries = [
        {
            "task": task.spec.name,
            "public": "public" if len(tasks) == 1 else f"public/{task.spec.name}",
            "id": task.spec.id_column,
            "targets": list(task.spec.target_columns),
            "time": task.spec.time_column,
            "sample": task.spec.sample_submission,
            "classification": task.spec.type == "classification",
            "probability": task.metric.kind == "probability",
            "positive": task.spec.positive_label,
            "positive_only": task.metric.needs_positive_predictions,
            "prepare": (TASKS.get(task.spec.name) / "prepare.py").read_text(),
        }
        for task in tasks
    ]
    settings = {
        "tasks": entries,
        "attacks": list(attacks),
        "homes": [str(host_data_home), str(Path.home() / ".cache" / "airlab")],
        "user_homes": [str(Path.home()), "/root"],
    }
    return f"SETTINGS = {json.dumps(settings)!r}\n{_BODY}"


def read_report(stdout: str) -> AttackReport:
    """The attack script's report, from its stdout."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(REPORT_MARK):
            raw = json.loads(line.removeprefix(REPORT_MARK))
            return AttackReport(raw["matched"], raw["errors"], raw["found_in"])
    raise ValueError(f"the attack script printed no report: {stdout[-500:]!r}")


_BODY = (Path(__file__).parent / "lookup_attack.py").read_text()
