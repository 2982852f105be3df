"""Grades an imported AIRS-Bench task with its own `evaluate.py`, in a subprocess.

Copied into the task folder as `grade.py` (never visible to candidates), beside `airs/`: the
task's `evaluate.py` and its sibling modules (`utils.py`, ...), which it imports by plain name.
AIRS scripts import `datasets` (and some `torch`) at the top for their command-line path, which
loads the test set from disk; `evaluate(predictions, labels) -> dict` itself needs neither in
most tasks. In the scratch copies, a top-level import of a package missing here becomes a
placeholder that raises on use, so such a task grades without installing it, and one whose
`evaluate` does use it fails with the package's name.
The score is the entry of the returned dict that `task.yaml`'s `metric_params.key` names.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).parent

MISSING = r'''
class Missing:
    """Stands for a package that is not installed; using it fails with its name."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return Missing(f"{self._name}.{attribute}")

    def __call__(self, *args, **kwargs):
        raise ImportError(f"evaluate() uses {self._name}, whose package is not installed")
'''

DRIVER = r"""
import ast, importlib.util, json, pathlib


def missing(module):
    return importlib.util.find_spec(module.split(".")[0]) is None


def stub(target, name):
    return ast.parse(f"{target} = Missing({name!r})").body[0]


# Top-level imports of packages not installed become placeholders, in these copies only, so
# nothing fake enters sys.modules (libraries such as scipy probe it for torch).
for path in pathlib.Path(".").glob("*.py"):
    if path.name in ("airlab_driver.py", "airlab_missing.py"):
        continue
    tree = ast.parse(path.read_text())
    body, future = [], 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future += 1
            body.append(node)
        elif isinstance(node, ast.Import) and any(missing(a.name) for a in node.names):
            for alias in node.names:
                if missing(alias.name):
                    body.append(stub(alias.asname or alias.name.split(".")[0], alias.name))
                else:
                    body.append(ast.Import(names=[alias]))
        elif (
            isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
            and missing(node.module)
        ):
            for alias in node.names:
                body.append(stub(alias.asname or alias.name, f"{node.module}.{alias.name}"))
        else:
            body.append(node)
    body[future:future] = ast.parse("from airlab_missing import Missing").body
    tree.body = body
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)))

import evaluate

with open("inputs.json") as handle:
    pairs = json.load(handle)
results = [evaluate.evaluate(p["predictions"], p["labels"]) for p in pairs]
print("AIRLAB_RESULT " + json.dumps([{k: float(v) for k, v in r.items()} for r in results]))
"""


def _values(frame, columns):
    if len(columns) == 1:
        return frame[columns[0]].tolist()
    return frame[columns].to_numpy().tolist()


def grade(submission, answers):
    return grade_many([(submission, answers)])[0]


def grade_many(pairs):
    """Scores of several (submission, answers) pairs (the hidden splits) in one subprocess."""
    spec = yaml.safe_load((HERE / "task.yaml").read_text())
    targets, key = spec["target_columns"], spec["metric_params"]["key"]
    inputs = [
        {"predictions": _values(submission, targets), "labels": _values(answers, targets)}
        for submission, answers in pairs
    ]
    with tempfile.TemporaryDirectory(prefix="airlab-airs-") as scratch:
        work = Path(scratch) / "task"
        shutil.copytree(HERE / "airs", work)
        (work / "inputs.json").write_text(json.dumps(inputs))
        (work / "airlab_driver.py").write_text(DRIVER)
        (work / "airlab_missing.py").write_text(MISSING)
        done = subprocess.run(
            [sys.executable, "airlab_driver.py"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ValueError(f"evaluate.py failed: {reason[-1] if reason else done.returncode}")
    line = next((x for x in done.stdout.splitlines()[::-1] if x.startswith("AIRLAB_RESULT ")), None)
    if line is None:
        raise ValueError("evaluate.py returned no metrics")
    results = json.loads(line.removeprefix("AIRLAB_RESULT "))
    if any(key not in result for result in results):
        raise ValueError(f"evaluate.py returned {sorted(results[0])}, not {key!r}")
    return [result[key] for result in results]
