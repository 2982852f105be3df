"""Checks and fixed repairs before a written script runs, on scripts a model wrote.

`fixtures/qwen2.5-coder-1.5b` holds drafts the 1.5B local model wrote (recorded), the AIDE
journal under tests/benchmarks/fixtures holds what AIDE's run of the same model wrote, and
`fixtures/model-style` holds the failure kinds of issue 25 written the way that model writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airlab.backends import Candidate
from airlab.failures import Failure
from airlab.grading.grader import Grader
from airlab.journal.node import Node, NodeStatus
from airlab.operators import OPERATORS, OperatorContext
from airlab.operators.checks import Checks, candidate_problem, check_code
from airlab.operators.io_prelude import MARK
from airlab.operators.locate import excerpt, failing_line
from airlab.operators.names import read_before_binding
from airlab.operators.parsing import SHELL_MARK, parse_answer
from airlab.operators.repairs import AUTO_IMPORTS, IMPORTS_MARK, add_imports, repair
from airlab.sandbox.base import ExecutionLimits, ExecutionRequest
from airlab.sandbox.packages import USUAL, Packages
from airlab.sandbox.registry import get_sandbox
from airlab.tasks import resolve_task

from .recorder import Recorder

HERE = Path(__file__).parent
STYLE = HERE / "fixtures" / "model-style"
RECORDED = HERE / "fixtures" / "qwen2.5-coder-1.5b"
AIDE = HERE.parent / "benchmarks" / "fixtures" / "aide-0.2.2-breast-cancer" / "journal.json"
LIMITS = ExecutionLimits(time_s=60, memory_mb=2048)
# the sandbox of these tests: the usual scientific stack, no boosting or deep-learning package
PACKAGES = Packages(
    installed=("numpy", "pandas", "scipy", "sklearn"),
    missing=tuple(n for n in USUAL if n not in {"numpy", "pandas", "scipy", "sklearn"}),
    modules=frozenset({"numpy", "pandas", "scipy", "sklearn", "os", "sys", "json", "math"}),
)
ALL = Checks()


def _style(name: str) -> str:
    return (STYLE / f"breast-cancer-{name}.py").read_text()


def _run(script: str, tmp_path: Path):
    task = resolve_task("breast-cancer")
    request = ExecutionRequest(
        script=script, workdir=tmp_path, public_dir=task.public_dir, limits=LIMITS
    )
    return get_sandbox("process").run(request)


# ---- the flow-aware name pass -------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [("draft-y-train", {"y_train": 15}), ("draft-y-in-loop", {"y": 15})],
)
def test_names_read_before_their_assignment_are_found(name, expected):
    found = read_before_binding(_style(name))
    assert found == expected


def test_the_name_pass_agrees_with_what_aide_s_scripts_died_of():
    """Of AIDE's six nodes, the one that died of a NameError is flagged, for the name Python
    named; the five ValueErrors are not."""
    nodes = json.loads(AIDE.read_text())["nodes"]
    for node in nodes:
        found = read_before_binding(node["code"])
        if node["exc_type"] == "NameError":
            first = min(found, key=found.get)
            assert first == node["exc_info"]["name"]
        else:
            assert found == {}


@pytest.mark.parametrize(
    "code",
    [
        "for i in range(3):\n    if i:\n        print(prev)\n    prev = i\n",  # loop-carried
        "try:\n    import xgboost as xgb\nexcept ImportError:\n    xgb = None\nprint(xgb)\n",
        "if len([]) > 0:\n    mode = 'a'\nelse:\n    mode = 'b'\nprint(mode)\n",
        "def fit():\n    return model\nmodel = 1\nprint(fit())\n",  # a body runs later
        "squares = [v * v for v in range(3)]\nf = lambda q: q + 1\nprint(squares, f)\n",
        "with open('f') as handle:\n    text = handle.read()\nprint(text)\n",
        "while (line := input()):\n    last = line\nprint(last)\n",
    ],
)
def test_the_name_pass_flags_only_certain_failures(code):
    assert read_before_binding(code) == {}


def test_a_name_read_in_a_branch_before_any_binding_is_flagged():
    code = "if True:\n    print(total)\ntotal = 1\n"
    assert read_before_binding(code) == {"total": 2}


# ---- repairs -------------------------------------------------------------------------------
def test_the_prelude_binds_y_for_a_script_that_binds_it_only_in_a_later_loop():
    code = _style("draft-y-in-loop")
    repaired, meta = repair(code, resolve_task("breast-cancer"))
    assert meta == {"io_prelude": ["y"]}
    assert repaired.startswith(MARK) and repaired.endswith(code)
    assert read_before_binding(repaired) == {}


@pytest.mark.slow
def test_repaired_scripts_run_and_write_a_valid_submission(tmp_path):
    task = resolve_task("breast-cancer")
    for name in ("draft-y-in-loop", "draft-no-imports", "debug-pip"):
        code = _style(name)
        repaired, meta = repair(code, task)
        assert meta, name
        execution = _run(repaired, tmp_path / name)
        assert execution.exit_code == 0, (name, execution.stderr_tail)
        assert Grader(task).grade(execution.submission, ("search",)).valid, name


def test_notebook_lines_are_turned_into_pass_and_the_answer_counts_as_complete():
    code = _style("debug-pip")
    assert compile_fails(code)
    answer = parse_answer(f"Install xgboost first.\n```python\n{code}```\n")
    assert answer is not None and answer.complete  # no reminder call for a `!pip` line
    repaired, meta = repair(code, resolve_task("breast-cancer"))
    assert meta == {"shell_lines": ["!pip install xgboost"]}
    assert f"{SHELL_MARK} !pip install xgboost" in repaired and not compile_fails(repaired)


def test_a_script_that_compiles_keeps_its_lines():
    code = 'text = """\n!not a shell line\n"""\nprint(text)\n'
    assert repair(code, resolve_task("breast-cancer"), io_prelude=False) == (code, {})


def test_common_scikit_learn_names_are_imported_when_used_and_never_bound():
    code = _style("draft-no-imports")
    repaired, names = add_imports(code)
    assert names == [
        "RandomForestClassifier", "log_loss", "train_test_split",
    ]  # fmt: skip
    assert repaired.startswith(IMPORTS_MARK) and read_before_binding(repaired) == {}
    # a name the script binds itself is its own
    own = "def log_loss(a, b):\n    return 0\nprint(log_loss(1, 2))\n"
    assert add_imports(own) == (own, [])


def test_scikit_learn_reached_through_a_module_never_imported_gets_its_submodules_imported():
    """Live, the 1.5B model wrote `sklearn.neural_network.MLPClassifier(...)` without `import
    sklearn`; refused by the name check, its retry invented a path to scikit-learn's files."""
    code = (
        "m = sklearn.neural_network.MLPClassifier()\n"
        "s = sklearn.preprocessing.StandardScaler()\nx = sklearn.__version__\n"
    )
    repaired, names = add_imports(code)
    assert names == ["sklearn.neural_network", "sklearn.preprocessing"]
    assert repaired == (
        f"{IMPORTS_MARK}\nimport sklearn.neural_network\nimport sklearn.preprocessing\n\n{code}"
    )
    assert read_before_binding(repaired) == {}
    exec(repaired, {})  # the repaired script constructs both
    imported = "import sklearn\nm = sklearn.svm.SVC()\n"
    assert add_imports(imported) == (imported, [])


def test_every_auto_import_imports():
    namespace: dict = {}
    for line in AUTO_IMPORTS.values():
        exec(line, namespace)
    assert set(AUTO_IMPORTS) <= set(namespace)


@pytest.mark.parametrize(
    ("switch", "key"),
    [
        ("shell_lines", "shell_lines"),
        ("auto_imports", "auto_imports"),
        ("io_prelude", "io_prelude"),
    ],
)
def test_each_repair_can_be_switched_off(switch, key):
    code = "!pip install xgboost\nmodel = RandomForestClassifier()\nprint(X)\n"
    _, everything = repair(code, resolve_task("breast-cancer"))
    assert key in everything
    _, without = repair(code, resolve_task("breast-cancer"), **{switch: False})
    assert key not in without


# ---- checks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "module", "instead"),
    [
        ("draft-xgboost", "xgboost", "HistGradientBoosting"),
        ("draft-tensorflow", "tensorflow", "MLP"),
    ],
)
def test_an_import_the_sandbox_lacks_is_caught_with_a_substitute(name, module, instead):
    diagnosis = check_code(_style(name), packages=PACKAGES, checks=ALL)
    assert diagnosis is not None and f"`{module}` is not installed" in diagnosis
    assert instead in diagnosis and "\n" not in diagnosis
    with_it = Packages(PACKAGES.installed, (), PACKAGES.modules | {module})
    assert check_code(_style(name), packages=with_it, checks=ALL) is None


def test_a_boosting_librarys_class_imported_from_scikit_learn_is_caught():
    """Live, told xgboost is missing, the 1.5B model wrote this in an improve step and its debug
    answer: an ImportError each time, which the module check did not see (sklearn is there)."""
    code = (
        "from sklearn.ensemble import RandomForestClassifier, XGBClassifier\nm = XGBClassifier()\n"
    )
    diagnosis = check_code(code, packages=PACKAGES, checks=ALL)
    assert diagnosis == (
        "`XGBClassifier` is xgboost's, not in `sklearn.ensemble` (line 1); `xgboost` is not "
        "installed: use sklearn.ensemble.HistGradientBoostingClassifier / Regressor"
    )
    with_it = Packages(PACKAGES.installed, (), PACKAGES.modules | {"xgboost"})
    assert check_code(code, packages=with_it, checks=ALL).endswith("import it from `xgboost`")
    assert check_code(code, packages=PACKAGES, checks=Checks(imports=False)) is None


def test_a_guarded_import_is_not_a_failure():
    code = "try:\n    import xgboost\nexcept ImportError:\n    xgboost = None\nprint(xgboost)\n"
    assert check_code(code, packages=PACKAGES, checks=ALL) is None


def test_an_empty_feature_list_is_caught():
    diagnosis = check_code(_style("draft-empty-features"), packages=PACKAGES, checks=ALL)
    assert diagnosis is not None and "`FEATURES` is an empty list (line 9)" in diagnosis
    filled = "FEATURES = []\nFEATURES.append('a')\nprint(train[FEATURES])\n"
    assert check_code(filled, packages=None, checks=Checks(names=False)) is None


@pytest.mark.parametrize(
    ("name", "switch"),
    [
        ("draft-xgboost", "imports"),
        ("draft-y-train", "names"),
        ("draft-empty-features", "features"),
    ],
)
def test_a_failing_check_refuses_the_run_and_each_check_can_be_switched_off(name, switch):
    candidate = Candidate("plan", _style(name))
    failure, diagnosis = candidate_problem(candidate, [], packages=PACKAGES, checks=ALL)
    assert failure == Failure.CHECK_FAILED and "line" in diagnosis
    off = Checks(**{switch: False})
    assert candidate_problem(candidate, [], packages=PACKAGES, checks=off) is None
    assert candidate_problem(candidate, []) is None  # no checks asked for


def test_the_recorded_drafts_are_repaired_not_refused():
    """The recorded drafts died of a NameError the prelude fixes: after the repairs no check
    refuses them, but for grunfeld's, which also kept the skeleton's constant DummyRegressor as
    its only model (the constant check's business: it would predict one value for all rows)."""
    task = resolve_task("breast-cancer")
    for path in sorted(RECORDED.glob("*.py")):
        raw = path.read_text()
        assert check_code(raw, packages=PACKAGES, checks=ALL) is not None  # as written: fails
        repaired, _ = repair(raw, task)
        diagnosis = check_code(repaired, packages=PACKAGES, checks=ALL)
        if path.name.startswith("grunfeld"):
            assert diagnosis is not None and "constant `DummyRegressor`" in diagnosis
            diagnosis = check_code(repaired, packages=PACKAGES, checks=Checks(constant=False))
        assert diagnosis is None, path.name


def test_a_debug_that_changes_only_comments_of_a_failed_parent_is_not_run():
    code = _style("draft-y-train")
    parent = Node(id=2, operator="draft", status=NodeStatus.BUGGY, code=code)
    same = "# fixed the split\n" + code.replace("# Load the data\n", "")
    failure, reason = candidate_problem(Candidate("p", same), [parent])
    assert failure == Failure.UNCHANGED and "node 2" in reason
    changed = code.replace("y_train, test_size", "train[TARGETS[0]], test_size")
    assert candidate_problem(Candidate("p", changed), [parent]) is None


def compile_fails(code: str) -> bool:
    try:
        compile(code, "solution.py", "exec")
    except SyntaxError:
        return True
    return False


# ---- the debug prompt --------------------------------------------------------------------
def test_the_debug_prompt_shows_the_failing_line_and_what_earlier_fixes_changed():
    """A chain draft -> debug, both dead of the same NameError: the prompt marks the line of the
    traceback among its neighbours and says what the last fix changed."""
    draft_code = _style("draft-y-train")
    fixed = draft_code.replace("random_state=42)", "random_state=0)")
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/work/solution.py", line 15, in <module>\n'
        "    X_train, X_val, y_train, y_val = train_test_split(X, y_train, test_size=0.2, "
        "random_state=0)\n"
        "NameError: name 'y_train' is not defined\n"
    )
    draft = Node(
        id=1, operator="draft", status=NodeStatus.BUGGY, code=draft_code, plan="Logistic.",
        failure="error", error="NameError", stderr_tail=traceback,
    )  # fmt: skip
    debug = Node(
        id=2, operator="debug", parent_ids=(1,), status=NodeStatus.BUGGY, code=fixed,
        plan="Change the seed.", failure="error", error="NameError", stderr_tail=traceback,
        debug_depth=1,
    )  # fmt: skip
    chat = Recorder()
    context = OperatorContext(
        task=resolve_task("breast-cancer"),
        parents=(debug,),
        history=(draft, debug),
        backend=chat,
        seed=0,
        node_id=3,
        limits=LIMITS,
    )
    OPERATORS.get("debug").apply(context)
    prompt = chat.prompts[0]
    assert (
        "It failed here (line marked `>`):\n```\n"
        "  13 | \n"
        "  14 | # Split the data into training and validation sets\n"
        "> 15 | X_train, X_val, y_train, y_val = train_test_split(X, y_train, test_size=0.2, "
        "random_state=0)\n"
        "  16 | \n"
        "  17 | model = LogisticRegression(max_iter=1000)\n```"
    ) in prompt
    assert "The last fix, the script above, changed: random_state=42 → 0." in prompt


def test_the_failing_line_of_a_check_comes_from_its_diagnosis():
    node = Node(
        id=1, operator="draft", status=NodeStatus.BUGGY, code="a = 1\nprint(b)\n",
        failure=Failure.CHECK_FAILED, error="`b` is read before any line assigns it (line 2)",
    )  # fmt: skip
    assert failing_line(node) == 2
    assert excerpt(node.code, 2) == "  1 | a = 1\n> 2 | print(b)"
    assert excerpt(node.code, 9) == ""


def test_a_recorded_debug_answer_gets_the_scikit_learn_import_it_dropped():
    """The model's debug answer (wine, live) kept `PolynomialFeatures(degree=2)` and dropped its
    import; the name check refused it twice as read before assignment. Auto-imports know it."""
    raw = (RECORDED / "unimported" / "wine-debug.py").read_text()
    assert "PolynomialFeatures" in read_before_binding(raw)
    repaired, meta = repair(raw, resolve_task("breast-cancer"))
    assert "PolynomialFeatures" in meta["auto_imports"]
    assert check_code(repaired, packages=PACKAGES, checks=ALL) is None


@pytest.mark.parametrize(("name", "names"), [("modechoice-0", 2), ("modechoice-2", 3)])
def test_a_split_unpacked_into_the_wrong_number_of_names_is_caught(name, names):
    """Live, modechoice: a draft wrote `X_val, y_val = train_test_split(X, y, ...)` (it returns
    4) and its debug answer unpacked it into 3; both died of "too many values to unpack".
    (The `split_names` repair re-aligns the first; here it is off to see the check.)"""
    raw = (RECORDED / "split-unpacking" / f"{name}.py").read_text()
    repaired, _ = repair(raw, resolve_task("breast-cancer"), split_names=False)
    diagnosis = check_code(repaired, packages=PACKAGES, checks=ALL)
    line = 1 + next(i for i, x in enumerate(repaired.splitlines()) if "= train_test_split(" in x)
    assert diagnosis == (
        f"line {line} unpacks "
        f"`train_test_split` of 2 array(s) into {names} names; it returns 4, in the order: "
        "X_train, X_val, y_train, y_val"
    )
    both_off = Checks(splits=False, constant=False)  # these drafts also kept the placeholder
    assert check_code(repaired, packages=PACKAGES, checks=both_off) is None


@pytest.mark.parametrize(
    "code",
    [
        "a, b, c, d = train_test_split(X, y, test_size=0.2)\n",
        "train, val = train_test_split(frame)\n",
        "parts = train_test_split(X, y)\n",
        "a, *rest = train_test_split(X, y)\n",
        "a, b, c, d, e, f = model_selection.train_test_split(X, y, w)\n",
    ],
)
def test_a_split_unpacked_rightly_passes(code):
    from airlab import pyast
    from airlab.operators.checks import split_unpacking

    assert split_unpacking(pyast.parse(code)) is None


def test_a_script_that_kept_the_constant_placeholder_is_caught():
    """Live, wine: the draft said "Train a Gradient Boosting Classifier" and fitted the
    skeleton's `DummyClassifier` inside `make_pipeline(encode, ...)`; it ran "valid", predicted
    one class for every row, and three improve steps after it did the same."""
    raw = (RECORDED / "constant" / "wine-draft.py").read_text()
    repaired, _ = repair(raw, resolve_task("breast-cancer"))
    diagnosis = check_code(repaired, packages=PACKAGES, checks=ALL)
    assert diagnosis is not None and diagnosis.startswith(
        "the script's only model is the constant `DummyClassifier`"
    )
    assert "e.g. `HistGradientBoostingClassifier()`" in diagnosis
    assert check_code(repaired, packages=PACKAGES, checks=Checks(constant=False)) is None


@pytest.mark.parametrize(
    "code",
    [
        # a real model beside the placeholder (a baseline to compare with)
        "a = DummyRegressor()\nb = HistGradientBoostingRegressor()\n",
        "a = DummyClassifier()\nb = LogisticRegression()\n",
        "a = DummyRegressor()\nb = sm.OLS(y, X).fit()\n",
        # a model this pass does not know: a class of its own, or a modelling package
        "class Mean:\n    pass\na = DummyRegressor()\n",
        "import torch\na = DummyClassifier()\n",
        # no model at all: not this check's business
        "print(1)\n",
    ],
)
def test_a_script_with_any_other_model_is_left_alone(code):
    from airlab import pyast
    from airlab.operators.checks import constant_model

    assert constant_model(pyast.parse(code)) is None
