"""The per-step replay of `benchmarks/check_replay.py`: each repair and check switched off by
itself changes what would run, on fixed scripts, and only the step switched off does."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from check_replay import SETTINGS, prepared, written_scripts

from airlab.sandbox.packages import USUAL, Packages
from airlab.testing.tasks import write_tiny_task

PACKAGES = Packages(
    installed=("numpy", "pandas", "sklearn"),
    missing=tuple(n for n in USUAL if n not in {"numpy", "pandas", "sklearn"}),
    modules=frozenset({"numpy", "pandas", "sklearn", "os", "sys"}),
)
FIT = (
    "from sklearn.ensemble import RandomForestClassifier\n"
    "model = RandomForestClassifier().fit(X, y)\n"
)


IO = (
    "import pandas as pd\n"
    "train = pd.read_csv('public/train.csv')\n"
    "X, y = train[['a']], train['y']\n"
)


def _outcomes(code: str, tmp_path: Path) -> dict[str, bool]:
    """Setting → whether a script would run under it (False: a check or compile refuses it)."""
    from airlab.tasks import resolve_task

    task = resolve_task(write_tiny_task(tmp_path / "tiny"))
    return {s: prepared(code, task, PACKAGES, s) is not None for s in SETTINGS}


def test_the_io_prelude_off_leaves_the_skeletons_names_to_the_name_check(tmp_path):
    runs = _outcomes("import pandas as pd\n" + FIT, tmp_path)
    assert runs["all on"] and runs["check_names off"]
    assert not runs["io_prelude off"]  # X and y read before any line binds them
    assert all(runs[s] for s in SETTINGS if s != "io_prelude off")


def test_a_missing_package_is_refused_unless_its_check_is_off(tmp_path):
    runs = _outcomes("import xgboost\n" + IO + FIT, tmp_path)
    assert runs == {s: s == "check_imports off" for s in SETTINGS}


def test_an_unimported_scikit_learn_name_is_imported_or_refused(tmp_path):
    runs = _outcomes(IO + FIT.split("\n", 1)[1], tmp_path)
    assert runs == {s: s != "auto_imports off" for s in SETTINGS}


def test_a_notebook_line_compiles_only_with_its_repair(tmp_path):
    runs = _outcomes("!pip install xgboost\n" + IO + FIT, tmp_path)
    assert runs == {s: s != "shell_lines off" for s in SETTINGS}


def test_the_last_answer_of_each_write_is_the_models_script(tmp_path):
    answer = "Plan.\n```python\n{}\n```\n"
    calls = [
        {"node_id": 1, "purpose": "draft", "response": {"text": "no code here"}},
        {"node_id": 1, "purpose": "draft-reminder", "response": {"text": answer.format("a = 1")}},
        {"node_id": 1, "purpose": "analysis", "response": {"text": answer.format("b = 2")}},
        {"node_id": 2, "purpose": "debug", "response": {"text": answer.format("c = 3")}},
        {"node_id": 2, "purpose": "debug-refused", "response": {"text": "only prose"}},
        {"node_id": 3, "purpose": "improve", "response": {"text": answer.format("e = 5")}},
        {
            "node_id": 3,
            "purpose": "improve-unchanged",
            "response": {"text": answer.format("f = 6")},
        },
        {"node_id": None, "purpose": "draft", "response": {"text": answer.format("d = 4")}},
    ]
    (tmp_path / "llm_calls.jsonl").write_text("\n".join(json.dumps(c) for c in calls))
    scripts = [(node, code.strip()) for node, code in written_scripts(tmp_path)]
    assert scripts == [("1", "a = 1"), ("2", "c = 3"), ("3", "f = 6")]
