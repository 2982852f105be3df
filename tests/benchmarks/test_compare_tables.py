"""Two policy tables paired by (task, seed): per-task medians, better/worse/equal, the sign
test and whether each median reaches TPE's."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from compare_tables import load_table, main


def _search(method, task, seed, test, *, maximize=True):
    """A search whose one good node is its final node, with test score `test`."""
    node = {"id": 0, "operator": "draft", "status": "good", "search_score": 0.5,
            "select_score": 0.5, "test_score": test}  # fmt: skip
    return {"method": method, "task": task, "seed": seed, "maximize": maximize, "nodes": [node]}


def test_pairs_by_task_and_seed(tmp_path, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    rows = [_search("greedy", "a", s, 0.5 + 0.01 * s) for s in range(5)]
    rows += [_search("tpe", "a", s, 0.53) for s in range(5)]
    rows += [_search("greedy", "b", s, 2.0, maximize=False) for s in range(3)]
    # the first table in parts, the second merged
    (first / "results-part-1-of-2.json").write_text(json.dumps(rows[:7]))
    (first / "results-part-2-of-2.json").write_text(json.dumps(rows[7:]))
    better = [_search("greedy+x", "a", s, 0.6) for s in range(4)]  # seed 4 not run: unpaired
    better += [_search("greedy+x", "b", 0, 1.0, maximize=False)]  # lower is better on b
    better += [_search("greedy+x", "b", 1, 3.0, maximize=False)]
    better += [_search("greedy+x", "b", 2, 2.0, maximize=False)]
    (second / "results.json").write_text(json.dumps(better))
    assert len(load_table(first)) == 13
    main([str(first), str(second), "--pair", "greedy=greedy+x", "--out", str(tmp_path / "o.md")])
    text = capsys.readouterr().out
    assert "| a | 4 | 0.515 | 0.6 | 4 / 0 / 0 | no → yes |" in text, text
    assert "| b | 3 | 2 | 2 | 1 / 1 / 1 | – |" in text, text
    assert "All 7 pairs: second better / worse / equal 5 / 1 / 1; sign test over the 6 that " \
        "differ p = 0.219." in text  # fmt: skip
    assert (tmp_path / "o.md").read_text().strip() == text.strip()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--pair", "greedy"], "expected A=B"), (["--pair", "mcts=mcts"], "no (task, seed)")],
)
def test_bad_input_is_one_line(tmp_path, args, fragment, capsys):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps([_search("greedy", "a", 0, 0.5)]))
    with pytest.raises(SystemExit) as stopped:
        main([str(folder), str(folder), *args])
    assert fragment in capsys.readouterr().err + str(stopped.value.code)


def test_a_folder_without_results_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"no results\.json"):
        load_table(tmp_path)
