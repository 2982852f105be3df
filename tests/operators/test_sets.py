import pytest

from airlab.errors import UnknownNameError
from airlab.operators import OPERATOR_SETS


def test_the_aide_set_is_draft_improve_debug_without_cues():
    aide = OPERATOR_SETS.get("aide")
    assert aide.operators == ("draft", "improve", "debug")
    assert aide.options == {}


def test_the_extended_set_adds_crossover_memory_and_diversity():
    extended = OPERATOR_SETS.get("extended")
    assert extended.operators == ("draft", "improve", "debug", "crossover")
    assert extended.options == {"memory": True, "diversity": True}
    assert extended.to_dict() == {
        "name": "extended",
        "operators": ["draft", "improve", "debug", "crossover"],
        "options": {"memory": True, "diversity": True},
    }


def test_an_unknown_set_suggests_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'extended'"):
        OPERATOR_SETS.get("extendd")
