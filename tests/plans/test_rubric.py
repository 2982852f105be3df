"""The rubric tree: leaf ids, weighted means, the three-way item split, reading and writing."""

from pathlib import Path

import pytest

from airlab.errors import TaskError
from airlab.plans.rubric import (
    Rubric,
    RubricItem,
    Verdict,
    dump_rubric,
    load_rubric,
    split_items,
    tree_score,
)


def _tree() -> Rubric:
    return Rubric(
        items=[
            RubricItem(text="a", weight=1),
            RubricItem(
                text="group",
                weight=3,
                items=[RubricItem(text="b", weight=1), RubricItem(text="c", weight=3)],
            ),
        ]
    )


def test_leaves_have_dotted_ids_in_document_order() -> None:
    assert [leaf.id for leaf in _tree().leaves()] == ["1", "2.1", "2.2"]


def test_inner_nodes_are_weighted_means_of_their_children() -> None:
    # group = (1*0 + 3*1)/4 = 0.75; root = (1*1 + 3*0.75)/4 = 0.8125
    assert tree_score(_tree(), {"1": 1.0, "2.1": 0.0, "2.2": 1.0}) == pytest.approx(0.8125)


def test_scoring_one_split_drops_subtrees_without_counted_leaves() -> None:
    values = {"1": 1.0, "2.1": 0.0, "2.2": 1.0}
    assert tree_score(_tree(), values, only=["2.1"]) == 0.0
    assert tree_score(_tree(), values, only=["1"]) == 1.0
    assert tree_score(_tree(), values, only=[]) is None


def test_a_missing_verdict_is_an_error_not_a_zero() -> None:
    with pytest.raises(KeyError, match=r"2\.2"):
        tree_score(_tree(), {"1": 1.0, "2.1": 0.0})


def test_item_split_is_seeded_disjoint_and_covers_every_leaf() -> None:
    rubric = Rubric(items=[RubricItem(text=f"item {i}") for i in range(12)])
    first = split_items(rubric, seed=7)
    assert first == split_items(rubric, seed=7)
    parts = [set(first.search), set(first.select), set(first.test)]
    assert all(parts)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert set.union(*parts) == {leaf.id for leaf in rubric.leaves()}
    assert (len(first.search), len(first.select), len(first.test)) == (6, 3, 3)
    assert split_items(rubric, seed=8) != first


def test_a_rubric_too_small_to_split_is_refused() -> None:
    with pytest.raises(TaskError, match="at least 3"):
        split_items(Rubric(items=[RubricItem(text="x"), RubricItem(text="y")]), seed=0)


def test_verdict_has_a_value_or_a_failure_never_both() -> None:
    Verdict(item_id="1", value=1.0)
    Verdict(item_id="1", failure="malformed")
    with pytest.raises(ValueError):
        Verdict(item_id="1")
    with pytest.raises(ValueError):
        Verdict(item_id="1", value=0.0, failure="backend")


def test_rubric_yaml_round_trips_and_reads_plain_string_lists(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    dump_rubric(_tree(), path)
    assert load_rubric(path) == _tree()
    path.write_text("- uses a held-out set\n- reports a baseline\n- states a risk\n")
    assert [leaf.text for leaf in load_rubric(path).leaves()][1] == "reports a baseline"


def test_bad_rubric_files_get_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("items:\n  - text: a\n    wieght: 2\n")
    with pytest.raises(TaskError) as caught:
        load_rubric(path)
    message = str(caught.value)
    assert "rubric.yaml" in message and "wieght" in message and "\n" not in message
    path.write_text("items: [\n")
    with pytest.raises(TaskError, match="not valid YAML"):
        load_rubric(path)
