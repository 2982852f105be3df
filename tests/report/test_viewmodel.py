"""What the view shows about each node, computed from a hand-made journal with known answers."""

import pytest

from airlab.errors import JournalError
from airlab.report import build_view, load_run
from airlab.report.data import find_run_dirs


@pytest.fixture(scope="module")
def view(synthetic_run):
    return build_view(load_run(synthetic_run))


def nodes_by_id(view):
    return {node["id"]: node for node in view["nodes"]}


def test_run_loads_read_only_and_whole(synthetic_run):
    before = (synthetic_run / "journal.sqlite").stat().st_mtime_ns
    run = load_run(synthetic_run / "journal.sqlite")
    assert run.root == synthetic_run.resolve()
    assert len(run.nodes) == 7
    assert run.final_node_id == 2
    assert run.task == "tiny" and run.maximize
    assert (synthetic_run / "journal.sqlite").stat().st_mtime_ns == before


def test_missing_or_broken_run_folders_name_the_problem(tmp_path):
    with pytest.raises(JournalError, match="no such run folder"):
        load_run(tmp_path / "absent")
    with pytest.raises(JournalError, match=r"not a run folder \(no journal.sqlite\)"):
        load_run(tmp_path)
    (tmp_path / "journal.sqlite").write_text("not sqlite")
    with pytest.raises(JournalError, match="not a readable journal"):
        load_run(tmp_path)


def test_hidden_scores_only_for_the_final_node(view):
    nodes = nodes_by_id(view)
    assert nodes[2]["is_final"]
    assert (nodes[2]["select_score"], nodes[2]["test_score"]) == (0.88, 0.87)
    # node 4 has a select score in the journal, but it was never the final choice
    assert nodes[4]["select_score"] is None and nodes[4]["test_score"] is None
    assert view["run"]["scores"] == {"search": 0.90, "select": 0.88, "test": 0.87}


def test_path_to_final_and_edges(view):
    assert view["best_path"] == [0, 2]
    edges = {(e["source"], e["target"]): e for e in view["edges"]}
    assert edges[(0, 2)]["on_best_path"] and edges[(0, 2)]["operator"] == "improve"
    assert not edges[(2, 4)]["on_best_path"]
    # the crossover hangs from its first parent and keeps a secondary edge to the other
    assert edges[(2, 5)]["primary"] and not edges[(3, 5)]["primary"]
    assert edges[(3, 5)]["operator"] == "crossover"


def test_tree_layout_puts_children_below_and_parents_over_them(view):
    nodes = nodes_by_id(view)
    assert [nodes[i]["depth"] for i in range(7)] == [0, 0, 1, 1, 2, 2, 3]
    xs = sorted(node["x"] for node in view["nodes"] if node["depth"] == 2)
    assert len(set(xs)) == 2  # siblings never overlap
    assert nodes[2]["x"] == (nodes[4]["x"] + nodes[5]["x"]) / 2


def test_colour_ranks_follow_the_search_score(view):
    ranks = {node["id"]: node["rank"] for node in view["nodes"]}
    assert ranks[2] == 1.0 and ranks[4] == 0.0
    assert ranks[3] == ranks[5]  # ties share a rank
    assert ranks[1] is None and ranks[6] is None  # buggy and running nodes are not ranked


def test_details_diff_output_and_transcript(view):
    nodes = nodes_by_id(view)
    improved = nodes[2]
    assert improved["diff_parent"] == 0
    assert (improved["diff_added"], improved["diff_removed"]) == (2, 1)
    assert "tuned" in improved["diff_html"]
    assert '<span class="kn">import</span>' in improved["code_html"]
    assert improved["transcript"] == [{"role": "user", "text": "improve it"}]
    assert nodes[0]["diff_parent"] is None and nodes[0]["diff_html"] == ""
    assert nodes[1]["error"] == "ValueError: boom" and "Traceback" in nodes[1]["stderr_tail"]
    assert nodes[0]["tokens_in"] == 100 and nodes[0]["cost_usd"] == 0.01


def test_best_so_far_and_worker_timeline(view):
    curve = view["curve"]
    assert [p["best"] for p in curve] == [0.80, 0.80, 0.90, 0.90, 0.90, 0.90]
    assert curve[-1]["candidates"] == 6
    bars = {bar["node"]: bar for bar in view["timeline"]}
    assert bars[0] == {
        "worker": "worker-1",
        "node": 0,
        "start": 1.0,
        "end": 6.0,
        "status": "good",
        "operator": "draft",
    }
    # the running node ends at the journal's last event, not at the wall clock's now
    assert bars[6]["end"] == 19.0


def test_run_folders_are_found_below_a_parent(synthetic_run, tmp_path):
    assert find_run_dirs([synthetic_run.parent]) == [synthetic_run]
    assert find_run_dirs([synthetic_run]) == [synthetic_run]
    with pytest.raises(JournalError, match="no run folder here or below"):
        find_run_dirs([tmp_path])
