"""The policy benchmark's contrasts on planted searches: a policy planted better is found
different from the others, identical searches are found identical, and the count against TPE
follows the medians (a search without a final node counting as the worst)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from policy_contrasts import policy_differences, reaches_peer

TASKS = ("a", "b", "c", "d")


def _search(method, task, seed, final, maximize=True, scripts=("x",)):
    return {
        "method": method,
        "task": task,
        "seed": seed,
        "maximize": maximize,
        "final": final,
        "nodes": [{"code_sha256": code} for code in scripts],
    }


def final(result):
    return result["final"]


def _planted(rng, better="mcts"):
    """Four policies on four tasks x five seeds: `better` ends 0.1 above the rest, greedy and
    llm_first run the very same search."""
    results = []
    for task in TASKS:
        for seed in range(5):
            base = rng.normal()
            for method in ("greedy", "llm_first", "mcts", "evolutionary"):
                shared = method in ("greedy", "llm_first")
                noise = 0.0 if shared else rng.normal(scale=0.01)
                score = base + noise + (0.1 if method == better else 0.0)
                scripts = ("draft", "improve") if shared else ("draft", method)
                results.append(_search(method, task, seed, score, scripts=scripts))
    return results


def test_a_policy_planted_better_is_measured_different_and_twins_identical():
    results = _planted(np.random.default_rng(0))
    methods = ["greedy", "llm_first", "mcts", "evolutionary"]
    lines = policy_differences(results, methods, final)
    text = "\n".join(lines)
    twins = next(line for line in lines if line.startswith("| greedy vs llm_first"))
    assert "| 0/20 |" in twins and "0 / 0 / 20" in twins and "+0.00 [+0.00, +0.00]" in twins
    planted = next(line for line in lines if line.startswith("| greedy vs mcts"))
    assert "| 20/20 |" in planted and "0 / 20 / 0" in planted
    low, high = (float(x) for x in planted.split("[")[1].split("]")[0].split(","))
    assert low > 0 and high > 0  # mcts ranks better in every resample
    assert "policies' test scores differ at the 5% level" in text


def test_policies_that_score_alike_are_not_called_different():
    rng = np.random.default_rng(1)
    results = []
    for task in TASKS:
        for seed in range(5):
            base = rng.normal()
            for method in ("greedy", "mcts", "evolutionary"):
                score = base + rng.normal(scale=0.01)
                results.append(_search(method, task, seed, score, maximize=False))
    text = "\n".join(policy_differences(results, ["greedy", "mcts", "evolutionary"], final))
    assert "do not measurably differ" in text


def test_the_count_against_the_peer_follows_the_medians_and_direction():
    results = []
    for seed in range(3):
        results += [
            _search("greedy", "a", seed, 0.9),  # maximise: beats tpe
            _search("tpe", "a", seed, 0.8),
            _search("greedy", "b", seed, 0.5, maximize=False),  # minimise: loses to tpe
            _search("tpe", "b", seed, 0.4, maximize=False),
            _search("greedy", "c", seed, np.nan if seed else 0.1),  # mostly no final node
            _search("tpe", "c", seed, 0.0),
        ]
    (line,) = reaches_peer(results, ["greedy"], "tpe", "Optuna TPE", final)
    assert "on 1 of 3 tasks; not on b, c." in line and "by itself" not in line


def test_the_best_of_several_policies_is_counted_beside_each_policy_alone():
    """Picking the best policy per task after the fact flatters: two policies that each reach
    the peer on one task reach it on two together, and the line says both."""
    results = []
    for seed in range(3):
        results += [
            _search("greedy", "a", seed, 0.9),
            _search("mcts", "a", seed, 0.7),
            _search("greedy", "b", seed, 0.7),
            _search("mcts", "b", seed, 0.9),
            _search("tpe", "a", seed, 0.8),
            _search("tpe", "b", seed, 0.8),
        ]
    (line,) = reaches_peer(results, ["greedy", "mcts"], "tpe", "Optuna TPE", final)
    assert "on 2 of 2 tasks." in line
    assert "Each policy by itself (fixed in advance): greedy 1, mcts 1." in line


def test_results_without_script_digests_are_compared_by_their_nodes_scores():
    """Results written before digests were kept (the 40x5 table's parts): searches are told
    apart by their nodes' operators, statuses and search scores, and the report says so
    (without digests every search once counted as the same)."""
    results = []
    for task in TASKS:
        for seed in range(5):
            for method, scores in (("greedy", (0.1, 0.2)), ("llm_first", (0.1, 0.2)),
                                   ("mcts", (0.1, 0.3))):  # fmt: skip
                search = _search(method, task, seed, scores[-1])
                search["nodes"] = [
                    {"operator": "draft", "status": "good", "search_score": score}
                    for score in scores
                ]
                results.append(search)
    lines = policy_differences(results, ["greedy", "llm_first", "mcts"], final)
    assert "| 0/20 |" in next(line for line in lines if line.startswith("| greedy vs llm_first"))
    assert "| 20/20 |" in next(line for line in lines if line.startswith("| greedy vs mcts"))
    assert "lower bound on different scripts" in "\n".join(lines)
    digests = policy_differences(_planted(np.random.default_rng(0)), ["greedy", "mcts"], final)
    assert "sequences of scripts are not the same" in "\n".join(digests)


def test_results_mixing_old_and_new_searches_are_compared_one_way():
    """Merged parts where only some searches kept digests: every search is compared by its
    nodes' scores, so two alike searches read as the same, not as different by their format."""
    results = []
    for task in TASKS:
        for seed in range(5):
            for method in ("greedy", "llm_first"):
                search = _search(method, task, seed, 0.2)
                search["nodes"] = [{"operator": "draft", "status": "good", "search_score": 0.2}]
                if method == "greedy":  # written after digests were kept
                    search["nodes"][0]["code_sha256"] = "x"
                results.append(search)
    lines = policy_differences(results, ["greedy", "llm_first"], final)
    assert "| 0/20 |" in next(line for line in lines if line.startswith("| greedy vs llm_first"))
    assert "lower bound on different scripts" in "\n".join(lines)
