"""Grades an imported MLGym task with its own `evaluate.py`, in a subprocess.

Copied into the task folder as `grade.py` (never visible to candidates). MLGym's scripts read
the submission and labels from the agent workspace `/home/agent/workspace` (`submission.csv`,
`data/<labels>`) and print a JSON dict of metrics; here that workspace is a scratch folder holding
one hidden split's rows, the path in the script is pointed at it, and the score is the entry of
the dict that `task.yaml`'s `metric_params.key` names. All hidden splits of one grading go to
one subprocess (`grade_many`), each in its own workspace.
"""

import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).parent
WORKSPACE = "/home/agent/workspace"


DRIVER = r"""
import contextlib, io, json, os, runpy, sys

results = []
for folder in sys.argv[1:]:
    os.chdir(folder)
    sys.argv = ["evaluate.py", "--submission_file", "submission.csv"]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path("evaluate.py", run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    lines = [x for x in out.getvalue().splitlines() if x.strip().startswith("{")]
    if code or not lines:
        reason = (err.getvalue() or out.getvalue()).strip()[-300:]
        results.append({"error": reason or f"exit status {code}"})
    else:
        results.append(json.loads(lines[-1]))
print("AIRLAB_RESULT " + json.dumps(results))
"""


def grade(submission, answers):
    return grade_many([(submission, answers)])[0]


def grade_many(pairs):
    """Scores of several (submission, answers) pairs (the hidden splits): one workspace each,
    all evaluated in one subprocess."""
    params = yaml.safe_load((HERE / "task.yaml").read_text())["metric_params"]
    source = (HERE / "evaluate.py").read_text()
    with tempfile.TemporaryDirectory(prefix="airlab-mlgym-") as scratch:
        folders = []
        for index, (submission, answers) in enumerate(pairs):
            workspace = Path(scratch) / f"workspace{index}"
            (workspace / "data").mkdir(parents=True)
            submission.to_csv(workspace / "submission.csv", index=False)
            answers.to_csv(workspace / "data" / params["answers"], index=False)
            (workspace / "evaluate.py").write_text(source.replace(WORKSPACE, str(workspace)))
            folders.append(str(workspace))
        (Path(scratch) / "airlab_driver.py").write_text(DRIVER)
        done = subprocess.run(
            [sys.executable, str(Path(scratch) / "airlab_driver.py"), *folders],
            capture_output=True,
            text=True,
            timeout=600,
        )
    line = next((x for x in done.stdout.splitlines()[::-1] if x.startswith("AIRLAB_RESULT ")), None)
    if done.returncode != 0 or line is None:
        reason = (done.stderr or done.stdout).strip()[-300:]
        raise ValueError(f"evaluate.py failed: {reason}")
    scores = []
    key = params["key"]
    for result in json.loads(line.removeprefix("AIRLAB_RESULT ")):
        if "error" in result:
            raise ValueError(f"evaluate.py failed: {result['error']}")
        if key not in result:
            lower = {str(k).lower(): str(k) for k in result}
            close = difflib.get_close_matches(key.lower(), list(lower), n=1)
            hint = f"; did you mean {lower[close[0]]!r}?" if close else ""
            printed = ", ".join(repr(k) for k in result) or "nothing"
            raise ValueError(
                f"evaluate.py printed no {key!r}{hint} (it printed {printed}; the key is "
                "task.yaml's metric_params.key, from MLGym's baseline_scores)"
            )
        scores.append(float(result[key]))
    return scores
