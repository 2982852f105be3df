"""Grades an imported MLGym task with its own `evaluate.py`, in a subprocess.

Copied into the task folder as `grade.py` (never visible to candidates). MLGym's scripts read
the submission and labels from the agent workspace `/home/agent/workspace` (`submission.csv`,
`data/<labels>`) and print a JSON dict of metrics; here that workspace is a scratch folder holding
one hidden split's rows, the path in the script is pointed at it, and the score is the entry of
the dict that `task.yaml`'s `metric_params.key` names.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).parent
WORKSPACE = "/home/agent/workspace"


def grade(submission, answers):
    params = yaml.safe_load((HERE / "task.yaml").read_text())["metric_params"]
    with tempfile.TemporaryDirectory(prefix="airlab-mlgym-") as scratch:
        workspace = Path(scratch)
        (workspace / "data").mkdir()
        submission.to_csv(workspace / "submission.csv", index=False)
        answers.to_csv(workspace / "data" / params["answers"], index=False)
        script = (HERE / "evaluate.py").read_text().replace(WORKSPACE, str(workspace))
        (workspace / "evaluate.py").write_text(script)
        done = subprocess.run(
            [sys.executable, "evaluate.py", "--submission_file", "submission.csv"],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if done.returncode != 0:
        raise ValueError(f"evaluate.py failed: {(done.stderr or done.stdout).strip()[-300:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip().startswith("{")]
    if not lines:
        raise ValueError(f"evaluate.py printed no JSON metrics: {done.stdout.strip()[-300:]}")
    return float(json.loads(lines[-1])[params["key"]])
