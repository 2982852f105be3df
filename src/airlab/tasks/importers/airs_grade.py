"""Grades an imported AIRS-Bench task with its own `evaluate.py`, in a subprocess.

Copied into the task folder as `grade.py` (never visible to candidates), beside `airs/`: the
task's `evaluate.py` and its sibling modules (`utils.py`, ...), which it imports by plain name.
Each hidden split is graded as AIRS's own command line does it, in a scratch copy of `airs/`:
the working directory holds `submission.csv` (the scoring columns, in the labelled rows' order)
and `data/test_with_labels` (that split's rows, inputs and labels, saved with `datasets` as
`prepare.py` saves them), so the task's `load_test_set()` (or `load_test_answers()`) gives the
labels exactly as in AIRS and an `evaluate()` that reads `./data` itself finds it. Predictions
are `pd.read_csv("submission.csv").values.squeeze()`, as the benchmark's CLI reads them.
Without `datasets`, or without such a loader, the labels are the answer columns (JSON lists
parsed back to lists, as numpy arrays where rectangular).

A top-level import of a package that is not installed becomes a stand-in (`airlab_missing.py`):
a class nothing is an instance of, so `isinstance(x, torch.Tensor)` is simply False, whose use
(a call) fails in one line naming `pip install torch`. An evaluator that cannot run (a missing
package, a missing file) raises `EvaluatorError`; one that raises on the predictions rejects the
submission. The score is the entry of the returned dict that `task.yaml`'s `metric_params.key`
names.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from airlab.errors import EvaluatorError
from airlab.tasks.importers.common import decode_lists

HERE = Path(__file__).parent

MISSING = r'''
"""Stand-ins for packages that are not installed, in the scratch copies of the AIRS scripts."""

PIP_NAMES = {"sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow",
             "cv2": "opencv-python", "skimage": "scikit-image"}


class MissingModuleError(ImportError):
    """evaluate.py used a package that is not installed."""


def install_hint(name):
    top = name.split(".")[0]
    return f"pip install {PIP_NAMES.get(top, top)}"


class Absent(type):
    """Metaclass of the stand-ins. A stand-in is a real class (so isinstance and issubclass
    checks work and are False), derives from Exception (so `except torch.X:` stays valid), gives
    a stand-in for any attribute, and cannot be called or instantiated."""

    def __getattr__(cls, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        stand_in = absent(f"{cls.airlab_name}.{attribute}")
        setattr(cls, attribute, stand_in)
        return stand_in

    def __call__(cls, *args, **kwargs):
        top = cls.airlab_name.split(".")[0]
        raise MissingModuleError(
            f"evaluate.py uses {cls.airlab_name}, but {top} is not installed: "
            f"{install_hint(top)}"
        )

    def __repr__(cls):
        return f"<stand-in for {cls.airlab_name}: not installed>"


def absent(name):
    return Absent(name.rsplit(".", 1)[-1], (Exception,), {"airlab_name": name})
'''

DRIVER = r"""
import ast, importlib.util, json, pathlib, shutil, sys, traceback

import numpy as np
import pandas as pd

LOADERS = ("load_test_set", "load_test_answers")
ENVIRONMENT = (ImportError, OSError)


def missing(module):
    return importlib.util.find_spec(module.split(".")[0]) is None


def stub(target, name):
    return ast.parse(f"{target} = absent({name!r})").body[0]


def rewrite(path):
    # Top-level imports of packages not installed become stand-ins, in these copies only, so
    # nothing fake enters sys.modules (libraries such as scipy probe it for torch).
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
    body[future:future] = ast.parse("from airlab_missing import absent").body
    tree.body = body
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)))


def fail(exc):
    kind = "environment" if isinstance(exc, ENVIRONMENT) else "rejected"
    message = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, ModuleNotFoundError) and exc.name and "pip install" not in message:
        from airlab_missing import install_hint
        message = f"evaluate.py needs {exc.name}, not installed: {install_hint(exc.name)}"
    print("AIRLAB_ERROR " + json.dumps({"kind": kind, "type": type(exc).__name__,
                                        "message": message}))
    traceback.print_exc()
    sys.exit(3)


def rectangular(values):
    try:
        array = np.asarray(values)
    except ValueError:
        return list(values)
    return array if array.dtype != object or array.ndim == 1 else list(values)


def save_labelled(records):
    data = pathlib.Path("data")
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    pd.DataFrame(records).to_json(data / "test_with_labels.jsonl", orient="records", lines=True)
    if missing("datasets"):
        return False
    from datasets import Dataset
    Dataset.from_list(records).save_to_disk(str(data / "test_with_labels"))
    return True


def labels_of(module, split, saved):
    loader = next((getattr(module, n) for n in LOADERS if callable(getattr(module, n, None))), None)
    if saved and loader is not None:
        labels = loader()
        if not isinstance(labels, tuple):
            return labels
    targets = split["targets"]
    rows = [[r[t] for t in targets] for r in split["records"]]
    return rectangular([row[0] for row in rows] if len(targets) == 1 else rows)


for path in pathlib.Path(".").glob("*.py"):
    if path.name not in ("airlab_driver.py", "airlab_missing.py"):
        rewrite(path)
try:
    import evaluate
except BaseException as exc:
    fail(exc)

with open("airlab_splits.json") as handle:
    splits = json.load(handle)
results = []
for index, split in enumerate(splits):
    shutil.copy(f"airlab_submission_{index}.csv", "submission.csv")
    try:
        saved = save_labelled(split["records"])
        labels = labels_of(evaluate, split, saved)
        frame = pd.read_csv("submission.csv", header=0)
        predictions = frame.values.squeeze(axis=1) if frame.shape[1] == 1 else frame.values
        result = evaluate.evaluate(predictions, labels)
    except Exception as exc:
        fail(exc)
    results.append({k: float(v) for k, v in result.items()})
print("AIRLAB_RESULT " + json.dumps(results))
"""


def grade(submission, answers):
    return grade_many([(submission, answers)])[0]


def _labelled_rows(answers, targets, id_column):
    """The split's rows as AIRS's `test_with_labels` holds them: the public inputs and the
    labels, in the answers' order, lists parsed back from their JSON text."""
    inputs = pd.read_csv(HERE / "public" / "test.csv", dtype={id_column: str})
    inputs = inputs.set_index(id_column).drop(columns=targets, errors="ignore")
    ids = answers[id_column].astype(str)
    rows = inputs.reindex(ids).reset_index(drop=True)
    for target in targets:
        rows[target] = answers[target].to_numpy()
    rows = decode_lists(rows)
    return json.loads(rows.to_json(orient="records"))


def grade_many(pairs):
    """Scores of several (submission, answers) pairs (the hidden splits) in one subprocess."""
    spec = yaml.safe_load((HERE / "task.yaml").read_text())
    targets, key = spec["target_columns"], spec["metric_params"]["key"]
    id_column = spec["id_column"]
    with tempfile.TemporaryDirectory(prefix="airlab-airs-") as scratch:
        work = Path(scratch) / "task"
        shutil.copytree(HERE / "airs", work)
        splits = []
        for index, (submission, answers) in enumerate(pairs):
            order = answers[id_column].astype(str)
            predicted = submission.set_index(submission[id_column].astype(str))[targets]
            predicted.loc[order].to_csv(work / f"airlab_submission_{index}.csv", index=False)
            splits.append(
                {"targets": targets, "records": _labelled_rows(answers, targets, id_column)}
            )
        (work / "airlab_splits.json").write_text(json.dumps(splits))
        (work / "airlab_driver.py").write_text(DRIVER)
        (work / "airlab_missing.py").write_text(MISSING)
        done = subprocess.run(
            [sys.executable, "airlab_driver.py"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
        )
    lines = done.stdout.splitlines()[::-1]
    error = next((x for x in lines if x.startswith("AIRLAB_ERROR ")), None)
    if error is not None:
        cause = json.loads(error.removeprefix("AIRLAB_ERROR "))
        text = f"{cause['type']}: {cause['message']}"
        if cause["kind"] == "environment":
            raise EvaluatorError(f"evaluate.py could not run: {text}")
        raise ValueError(f"evaluate.py: {text}")
    line = next((x for x in lines if x.startswith("AIRLAB_RESULT ")), None)
    if done.returncode != 0 or line is None:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise EvaluatorError(
            f"evaluate.py could not run: {reason[-1] if reason else f'exit {done.returncode}'}"
        )
    results = json.loads(line.removeprefix("AIRLAB_RESULT "))
    if any(key not in result for result in results):
        raise ValueError(f"evaluate.py returned {sorted(results[0])}, not {key!r}")
    return [result[key] for result in results]
