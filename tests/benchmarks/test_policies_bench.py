"""The benchmark scripts stay runnable: each one imports (the policy benchmark once imported a
function from a module it had moved out of, and nothing noticed), and the policy benchmark runs a
tiny size end to end, with a policy that has the new operators on (`greedy+ops`) beside TPE."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCHMARKS.glob("*.py")))
def test_every_benchmark_script_imports(name):
    importlib.import_module(name)


def test_a_policy_name_with_ops_searches_with_the_new_operators():
    import policies

    assert policies.policy_of("mcts+ops") == "mcts"
    assert policies.operators_of("greedy") == "aide"
    assert policies.operators_of("evolutionary+ops").startswith("extended + ideation")
    assert policies.operators_of("tpe") == "-"


def test_operator_options_are_checked_before_any_search(tmp_path, capsys):
    import policies

    for option, said in [("memry=true", "did you mean 'memory'"), ("memory", "KEY=VALUE")]:
        with pytest.raises(SystemExit):
            policies.main(["--tasks", "digits", "--methods", "greedy", "-O", option,
                           "--out", str(tmp_path / "bench")])  # fmt: skip
        assert said in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_policy_parameters_are_checked_for_every_method_before_any_search(tmp_path, capsys):
    import policies

    for methods, param, said in [
        (["greedy"], "patince=5", "did you mean 'patience'"),
        (["greedy", "mcts"], "patience=5", "policy 'mcts': unknown parameter 'patience'"),
        (["greedy"], "patience=0", "patience"),
    ]:
        with pytest.raises(SystemExit):
            policies.main(["--tasks", "digits", "--methods", *methods, "-P", param,
                           "--out", str(tmp_path / "bench")])  # fmt: skip
        assert said in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_a_policy_parameter_reaches_the_run_over_the_tables_own(tmp_path, monkeypatch):
    import policies

    seen = {}

    def create(config):
        seen.update(config.policy_params)
        raise RuntimeError("stop before running")

    monkeypatch.setattr(policies.Run, "create", create)
    job = policies.Job(method="greedy", task="digits", seed=0, candidates=2, out=str(tmp_path),
                       bug_rate=0.0, sandbox="process", time_limit=10.0, tpe_startup=1,
                       policy_params={"patience": 5})  # fmt: skip
    with pytest.raises(RuntimeError, match="stop before running"):
        policies._airlab_search(job)
    assert seen == {"num_drafts": 5, "debug_prob": 0.5, "patience": 5}


@pytest.mark.slow
def test_the_policy_benchmark_runs_a_tiny_size_with_the_new_operators(tmp_path):
    # a process of its own: the benchmark registers its cached sandbox in the global registry
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "policies.py"), "--candidates", "2", "--seeds", "1",
         "--tasks", "breast-cancer", "--jobs", "1", "--methods", "greedy+ops", "tpe",
         "--out", str(out)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = {r["method"]: r for r in json.loads((out / "results.json").read_text())}
    assert set(results) == {"greedy+ops", "tpe"}
    ours = [n["operator"] for n in results["greedy+ops"]["nodes"]]
    assert ours.count("draft") == 2 and ours[-1] == "ensemble"  # the budget, then the soup
    assert all(n["test_score"] is not None for n in results["tpe"]["nodes"])
    # every node keeps its script's digest, which the report's "different searches" compares
    digests = [n["code_sha256"] for r in results.values() for n in r["nodes"]]
    assert all(len(digest) == 64 for digest in digests)
    drafts = [n["code_sha256"] for n in results["greedy+ops"]["nodes"] if n["operator"] == "draft"]
    assert len(set(drafts)) == 2
    report = (out / "policies.md").read_text()
    assert "greedy+ops (aide + ideation, runtime fitness, ensemble)" in report
