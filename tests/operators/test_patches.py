"""SEARCH/REPLACE blocks: read, applied strict-first then whitespace-tolerant, or refused with a
reason (not found, ambiguous, malformed, empty)."""

from __future__ import annotations

import pytest

from airlab.journal.edit import PatchFailure
from airlab.operators.patches import (
    PatchError,
    apply_blocks,
    apply_patch,
    diff_blocks,
    parse_blocks,
    render_blocks,
    text_before_blocks,
)

SCRIPT = """\
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

train = pd.read_csv("public/train.csv")
model = RandomForestClassifier(n_estimators=100)
for column in ["a", "b"]:
    if column in train:
        train[column] = train[column].fillna(0)
model.fit(train.drop(columns="y"), train["y"])
print("done")
"""


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_a_block_that_matches_once_replaces_its_lines_exactly():
    answer = (
        "Raise the trees.\n```python\n"
        + block(
            "model = RandomForestClassifier(n_estimators=100)",
            "model = RandomForestClassifier(n_estimators=300)",
        )
        + "```\n"
    )
    result = apply_patch(SCRIPT, answer)
    assert result.code == SCRIPT.replace("n_estimators=100", "n_estimators=300")
    assert not result.fuzzy
    assert text_before_blocks(answer) == "Raise the trees."


def test_several_blocks_apply_in_order_each_to_the_result_of_the_ones_before():
    answer = (
        block('print("done")', 'print("finished")')
        + "\nand\n"
        + block('print("finished")', 'print("finished")\nprint("twice")')
    )
    result = apply_patch(SCRIPT, answer)
    assert result.code.endswith('print("finished")\nprint("twice")\n')
    assert 'print("done")' not in result.code
    assert len(parse_blocks(answer)) == 2


def test_a_search_text_that_is_absent_does_not_apply_and_names_the_block():
    answer = block('print("done")', 'print("ok")') + block("model.predict(X)", "model.fit(X)")
    with pytest.raises(PatchError) as caught:
        apply_patch(SCRIPT, answer)
    assert caught.value.reason is PatchFailure.NOT_FOUND
    assert "block 2" in caught.value.detail and "model.predict(X)" in caught.value.detail


def test_a_search_text_that_occurs_twice_is_ambiguous_and_does_not_apply():
    code = "x = 1\nprint(x)\nx = 1\n"
    with pytest.raises(PatchError) as caught:
        apply_patch(code, block("x = 1", "x = 2"))
    assert caught.value.reason is PatchFailure.AMBIGUOUS
    assert "2 times" in caught.value.detail
    # with one more line of context the same change is unique
    assert apply_patch(code, block("x = 1\nprint(x)", "x = 2\nprint(x)")).code == (
        "x = 2\nprint(x)\nx = 1\n"
    )


def test_crlf_answers_and_crlf_scripts_are_read_as_lf():
    answer = block("    if column in train:", "    if column in train.columns:")
    crlf_answer = answer.replace("\n", "\r\n")
    expected = SCRIPT.replace("in train:", "in train.columns:")
    assert apply_patch(SCRIPT, crlf_answer).code == expected
    assert apply_patch(SCRIPT.replace("\n", "\r\n"), answer).code == expected


def test_trailing_spaces_and_wrong_indentation_match_tolerantly_and_reindent():
    search = "if column in train:   \n    train[column] = train[column].fillna(0)"
    replace = "if column in train:\n    train[column] = train[column].fillna(-1)"
    result = apply_patch(SCRIPT, block(search, replace))
    assert result.fuzzy
    assert "        train[column] = train[column].fillna(-1)\n" in result.code
    assert "    if column in train:\n" in result.code
    compile(result.code, "solution.py", "exec")


def test_too_much_indentation_in_the_search_is_taken_off_the_replacement():
    code = "def f():\n    return 1\n"
    result = apply_patch(code, block("        return 1", "        return 2"))
    assert result.code == "def f():\n    return 2\n" and result.fuzzy


def test_a_run_of_text_inside_a_line_applies():
    result = apply_patch(SCRIPT, block("n_estimators=100", "n_estimators=500"))
    assert "RandomForestClassifier(n_estimators=500)" in result.code


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("just prose, no blocks", PatchFailure.NO_BLOCKS),
        ("<<<<<<< SEARCH\nx = 1\n>>>>>>> REPLACE\n", PatchFailure.MALFORMED),
        ("<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n", PatchFailure.MALFORMED),
        (block("", "x = 2"), PatchFailure.EMPTY_SEARCH),
    ],
)
def test_answers_that_cannot_apply_say_why(answer, reason):
    with pytest.raises(PatchError) as caught:
        apply_patch("x = 1\n", answer)
    assert caught.value.reason is reason


def test_blank_lines_around_the_search_are_context_not_text_to_find():
    code = "a = 1\nb = 2\n"
    result = apply_patch(code, block("\nb = 2\n", "\nb = 3\n"))
    assert result.code == "a = 1\nb = 3\n"


OLD = SCRIPT
NEW = (
    SCRIPT.replace("n_estimators=100", "n_estimators=300")
    .replace('print("done")', 'print("done")\nprint(model.n_estimators)')
    .replace("import pandas as pd\n", "import numpy as np\nimport pandas as pd\n")
)


@pytest.mark.parametrize("context", [0, 1, 2, 3])
def test_blocks_written_from_two_versions_turn_the_old_into_the_new(context):
    blocks = diff_blocks(OLD, NEW, context=context)
    assert blocks
    assert apply_patch(OLD, render_blocks(blocks)).code == NEW


def test_written_blocks_grow_their_context_until_the_search_is_unique():
    old = "x = 0\ny = 1\nz = 2\nx = 0\ny = 1\n"
    new = "x = 0\ny = 1\nz = 2\nx = 0\ny = 5\n"
    blocks = diff_blocks(old, new, context=0)
    assert apply_blocks(old, blocks).code == new
    assert [b.search.strip() for b in blocks] == ["z = 2\nx = 0\ny = 1"]
