import sqlite3

import pytest

from airlab.errors import JournalError
from airlab.journal import Journal, NodeStatus, SearchTree


@pytest.fixture
def journal(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite") as j:
        yield j


def test_nodes_survive_reopening(journal, tmp_path):
    draft = journal.add("draft", note="first")
    journal.update(
        draft.id,
        status=NodeStatus.RUNNING,
        plan="p",
        code="print(1)",
        meta={"family": "svm", "params": {"C": 1.0}},
    )
    journal.update(draft.id, status=NodeStatus.GOOD, search_score=0.9, select_score=0.8)
    child = journal.add("improve", [draft.id])
    journal.set_meta(config={"task": "digits"}, elapsed_s=3.5)
    with Journal.open(tmp_path / "journal.sqlite") as again:
        nodes = again.nodes()
        assert [n.id for n in nodes] == [draft.id, child.id]
        assert nodes[0].meta == {"family": "svm", "params": {"C": 1.0}}
        assert nodes[0].search_score == 0.9
        assert nodes[1].parent_ids == (draft.id,)
        assert nodes[1].status == NodeStatus.PROPOSED
        assert again.get_meta("config") == {"task": "digits"}
        assert again.get_meta("missing", 7) == 7


def test_uses_wal(journal):
    mode = sqlite3.connect(journal.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_finished_nodes_are_immutable_except_final_scores(journal):
    node = journal.add("draft")
    journal.update(node.id, status=NodeStatus.BUGGY, failure="error")
    with pytest.raises(JournalError, match="finished"):
        journal.update(node.id, code="x = 1")
    journal.update(node.id, test_score=0.5)
    assert journal.get(node.id).test_score == 0.5


def test_parents_must_exist(journal):
    with pytest.raises(JournalError, match="no node 3"):
        journal.add("improve", [3])


def test_unknown_fields_are_rejected(journal):
    node = journal.add("draft")
    with pytest.raises(ValueError, match="cannot set"):
        journal.update(node.id, colour="red")


def test_create_refuses_existing_and_open_refuses_garbage(tmp_path, journal):
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(journal.path)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(JournalError, match="not a readable journal"):
        Journal.open(bad)
    with pytest.raises(JournalError, match="no journal here"):
        Journal.open(tmp_path / "absent.sqlite")


def test_search_tree_hides_select_and_test_and_ranks_by_direction(journal):
    scores = [0.5, 0.9, 0.7]
    for score in scores:
        node = journal.add("draft")
        journal.update(
            node.id, status=NodeStatus.GOOD, search_score=score, select_score=1.0, test_score=1.0
        )
    journal.add("draft")
    tree = SearchTree.from_nodes(journal.nodes(), maximize=True)
    assert all(n.select_score is None and n.test_score is None for n in tree.nodes)
    assert [n.search_score for n in tree.ranked()] == [0.9, 0.7, 0.5]
    lower = SearchTree.from_nodes(journal.nodes(), maximize=False)
    assert lower.best().search_score == 0.5
    assert len(tree.in_flight) == 1


def test_self_reported_fitness(journal):
    a = journal.add("draft")
    journal.update(a.id, status=NodeStatus.GOOD, search_score=0.9, self_reported_score=0.1)
    b = journal.add("draft")
    journal.update(b.id, status=NodeStatus.GOOD, search_score=0.1, self_reported_score=0.9)
    tree = SearchTree.from_nodes(journal.nodes(), maximize=True, fitness_source="self_reported")
    assert tree.best().id == b.id


def test_meta_is_read_through_its_typed_sections(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite") as journal:
        node = journal.add("draft", meta={"policy": {"island": 2}, "recipe": {"family": "svm"}})
        node = journal.update(
            node.id, meta={**node.meta, "family": "svm", "llm_calls": 2, "analysis": "ran"}
        )
    info = node.info
    assert info.policy == {"island": 2} and info.family == "svm" and info.llm_calls == 2
    assert info.analysis == "ran" and info.model_extra == {"recipe": {"family": "svm"}}
    with pytest.raises(ValueError):
        node.model_copy(update={"meta": {"llm_calls": "many"}}).info  # noqa: B018


def test_a_finished_node_takes_annotations_only(tmp_path):
    with Journal.create(tmp_path / "journal.sqlite") as journal:
        node = journal.add("draft")
        journal.update(node.id, status=NodeStatus.GOOD, search_score=0.5, tokens_in=10)
        node = journal.annotate(node.id, {"analysis": "it ran"}, tokens_in=15, llm_calls=2)
        assert node.info.analysis == "it ran" and node.tokens_in == 15 and node.info.llm_calls == 2
        with pytest.raises(JournalError, match="cannot annotate analysis"):
            journal.annotate(node.id, {"analysis": "something else"})
        with pytest.raises(JournalError, match="cannot shrink"):
            journal.annotate(node.id, {}, tokens_in=3)
        with pytest.raises(JournalError, match="cannot annotate search_score"):
            journal.annotate(node.id, {}, search_score=0.9)
    with Journal.open(tmp_path / "journal.sqlite", read_only=True) as again:
        assert again.get(node.id).info.analysis == "it ran"
