"""The bundled plan and revision examples are complete, gradable task folders."""

from pathlib import Path

import pytest
import yaml

from airlab.plans.faithfulness import check_faithful
from airlab.plans.rubric import load_rubric, split_items

BUNDLED = Path(__file__).parents[2] / "src" / "airlab" / "tasks" / "bundled"
PLANS = sorted(p for p in BUNDLED.glob("plan-*") if (p / "task.yaml").is_file())


def _spec(folder: Path) -> dict:
    return yaml.safe_load((folder / "task.yaml").read_text())


def test_there_are_at_least_eight_plan_goals_and_a_revision() -> None:
    kinds = [_spec(folder)["kind"] for folder in PLANS]
    assert kinds.count("plan") >= 8 and kinds.count("revision") >= 1


@pytest.mark.parametrize("folder", PLANS, ids=lambda p: p.name)
def test_each_example_is_a_complete_gradable_folder(folder: Path) -> None:
    spec = _spec(folder)
    assert spec["name"] == folder.name and spec["title"]
    rubric = load_rubric(folder / "private" / "rubric.yaml")
    leaves = rubric.leaves()
    assert 10 <= len(leaves) <= 15
    assert all(leaf.category for leaf in leaves)
    assert len({leaf.text for leaf in leaves}) == len(leaves)
    assert len({leaf.weight for leaf in leaves}) > 1  # weighted, not a flat list
    split = split_items(rubric, seed=spec["hidden_splits"]["seed"])
    assert split.search and split.select and split.test
    description = (folder / "description.md").read_text()
    assert len(description.split()) > 80
    reference = (folder / "private" / "reference.md").read_text()
    assert len(reference.split()) > 150
    # nothing the agent reads holds a rubric item's text
    assert not any(leaf.text in description for leaf in leaves)


def test_the_revision_example_has_a_paper_and_a_faithful_reference() -> None:
    (folder,) = [p for p in PLANS if _spec(p)["kind"] == "revision"]
    paper = (folder / "public" / "paper.md").read_text()
    reference = (folder / "private" / "reference.md").read_text()
    assert check_faithful(paper, reference).faithful
    invented = reference + "\nOn 6 further tables RAA beats full fine-tuning.\n"
    assert not check_faithful(paper, invented).faithful
