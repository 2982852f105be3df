"""Template lessons from planted journals: families ranked by the search score the agent saw,
never by the hidden scores; recurring failures and operator outcomes counted; and the writer's
last guard drops a lesson that carries a hidden score."""

from __future__ import annotations

from airlab.journal.node import Node, NodeStatus
from airlab.journal.tree import agent_view
from airlab.lessons.derive import template_lessons
from airlab.lessons.keys import TaskKeys
from airlab.lessons.writer import hidden_numbers, mentions, parse_lessons, shown_numbers

KEYS = TaskKeys(
    task_type="classification", metric="accuracy", rows="rows<1k", cols="cols<10", target="binary"
)
SELECT = 0.3141593
TEST = 0.2718282


def node(
    i: int,
    family: str,
    search: float | None,
    *,
    operator: str = "draft",
    parents: tuple[int, ...] = (),
    failure: str | None = None,
) -> Node:
    good = failure is None
    return Node(
        id=i,
        operator=operator,
        parent_ids=parents,
        status=NodeStatus.GOOD if good else NodeStatus.BUGGY,
        failure=failure,
        search_score=search if good else None,
        # hidden scores that rank the families the other way round, and distinctive
        select_score=(SELECT + i / 1e7) if good else None,
        test_score=(TEST - i / 1e7) if good else None,
        meta={"family": family},
        plan=f"Draft ({family})",
        code="print(1)",
    )


def planted() -> list[Node]:
    return [
        node(0, "linear", 0.81),
        node(1, "gbdt", 0.93),
        node(2, "knn", None, failure="timeout"),
        node(3, "knn", None, failure="timeout"),
        node(4, "gbdt", 0.95, operator="improve", parents=(1,)),
        node(5, "linear", 0.80, operator="improve", parents=(0,)),
        node(6, "svm", None, failure="error"),
        node(7, "svm", 0.85, operator="debug", parents=(6,)),
    ]


def lessons_of(nodes: list[Node], maximize: bool = True):
    seen = [agent_view(n) for n in nodes]
    return template_lessons(seen, KEYS, task="tiny", run_id="run-x", maximize=maximize)


def test_families_ranked_by_search_score() -> None:
    families = next(les for les in lessons_of(planted()) if les.kind == "families")
    assert families.families == ["gbdt", "svm", "linear"]
    assert families.evidence == {"gbdt": 0.95, "svm": 0.85, "linear": 0.81}
    assert "Failed every time here: knn" in families.text
    lower = next(les for les in lessons_of(planted(), maximize=False) if les.kind == "families")
    assert lower.families == ["linear", "svm", "gbdt"]


def test_operators_and_recurring_failures_are_counted() -> None:
    by_kind = {les.kind: les for les in lessons_of(planted())}
    assert "improve steps beat their parent in 1 of 2 tries" in by_kind["operators"].text
    assert "debug steps fixed the failure in 1 of 1 tries" in by_kind["operators"].text
    assert "timeout x2 (families knn)" in by_kind["failures"].text
    assert "error" not in by_kind["failures"].text  # once is no pattern
    assert {les.source_run for les in by_kind.values()} == {"run-x"}


def test_no_hidden_score_enters_a_template_lesson() -> None:
    nodes = planted()
    hidden = hidden_numbers(nodes) - shown_numbers(nodes)
    for lesson in lessons_of(nodes):
        dumped = lesson.model_dump_json()
        assert not mentions(dumped, hidden), dumped
        assert "3141" not in dumped and "2718" not in dumped


def test_the_guard_catches_a_lesson_that_carries_a_hidden_score() -> None:
    nodes = planted()
    hidden = hidden_numbers(nodes) - shown_numbers(nodes)
    assert mentions(f"the final test score was {TEST - 1 / 1e7:.5g}", hidden)
    assert mentions(f"select said {SELECT + 4 / 1e7:.4g}!", hidden)
    assert not mentions("gbdt reached 0.95 on search", hidden)
    assert not mentions("a score of 10.3141593", hidden)  # inside a longer number


def test_a_hidden_score_equal_to_a_shown_one_is_not_a_leak() -> None:
    nodes = [node(0, "gbdt", 0.9)]
    nodes[0] = nodes[0].model_copy(update={"select_score": 0.9, "test_score": 0.4444444})
    hidden = hidden_numbers(nodes) - shown_numbers(nodes)
    assert not mentions("gbdt 0.9000 best", hidden)
    assert mentions("test 0.4444", hidden)


def test_model_answers_are_read_as_bullets() -> None:
    text = "Here are lessons:\n- Start with gbdt.\n* Scale features for svm\n2. Avoid knn\nbye"
    assert parse_lessons(text) == ["Start with gbdt.", "Scale features for svm", "Avoid knn"]
    assert len(parse_lessons("- " + "x" * 1000)[0]) == 300


def test_short_hidden_scores_identify_nothing() -> None:
    nodes = [node(0, "gbdt", 0.9)]
    nodes[0] = nodes[0].model_copy(update={"select_score": 0.7, "test_score": 0.95})
    hidden = hidden_numbers(nodes) - shown_numbers(nodes)
    assert hidden == set()
    assert not mentions("mlp 0.7, random_forest 0.95", hidden)
