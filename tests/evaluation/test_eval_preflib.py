"""PrefLib readers: current and old layouts, ties, partial orders, errors, round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from airlab.evaluation import Profile, rank
from airlab.evaluation.errors import PreflibError
from airlab.evaluation.preflib import parse_preflib, read_preflib, to_preflib

SOC = """\
# FILE NAME: 00000-00000001.soc
# TITLE: Tennessee capital
# DATA TYPE: soc
# NUMBER ALTERNATIVES: 4
# NUMBER VOTERS: 100
# NUMBER UNIQUE ORDERS: 4
# ALTERNATIVE NAME 1: Memphis
# ALTERNATIVE NAME 2: Nashville
# ALTERNATIVE NAME 3: Chattanooga
# ALTERNATIVE NAME 4: Knoxville
42: 1,2,3,4
26: 2,3,4,1
15: 3,4,2,1
17: 4,3,2,1
"""


def test_read_soc_tennessee(tmp_path: Path, tennessee: Profile) -> None:
    path = tmp_path / "tennessee.soc"
    path.write_text(SOC)
    profile = read_preflib(path)
    assert profile.agents == ("Memphis", "Nashville", "Chattanooga", "Knoxville")
    assert profile.total_weight == 100
    assert rank(profile, "ranked_pairs").order == (
        "Nashville",
        "Chattanooga",
        "Knoxville",
        "Memphis",
    )
    reordered = tennessee.restricted(list(profile.agents))
    np.testing.assert_array_equal(profile.pairwise(), reordered.pairwise())


def test_read_toi_with_ties_and_missing() -> None:
    text = "# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 3\n3: 1,{2,3}\n2: 3\n"
    profile = parse_preflib(text)
    assert profile.agents == ("1", "2", "3")
    assert profile.utilities[0].tolist() == [0.0, -1.0, -1.0]
    assert math.isnan(profile.utilities[1, 0]) and profile.utilities[1, 2] == 0.0
    assert profile.ties()[1, 2] == 3


def test_read_old_layout() -> None:
    text = "3\n1,A\n2,B\n3,C\n5,5,2\n2,1,2,3\n3,3,1,2\n"
    profile = parse_preflib(text, "soc")
    assert profile.agents == ("A", "B", "C")
    assert profile.weights.tolist() == [2.0, 3.0]
    assert profile.condorcet_winner() == "C"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 3\n1: 1,{2,3}\n", "ties are not allowed"),
        ("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 3\n1: 1,2\n", "must rank every"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\n1: 1,5\n", "unknown alternative 5"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\n1: 1,1\n", "appears twice"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\nx: 1,2\n", "bad count"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\n1 1 2\n", "expected 'count: order'"),
        ("# DATA TYPE: xyz\n# NUMBER ALTERNATIVES: 2\n1: 1,2\n", "unsupported data type"),
        ("", "empty file"),
        ("hello\nworld\n", "not a PrefLib file"),
    ],
)
def test_errors_are_one_line_and_specific(text: str, message: str) -> None:
    with pytest.raises(PreflibError, match=message) as info:
        parse_preflib(text, source="x.soc")
    assert "\n" not in str(info.value)


def test_missing_file_is_a_preflib_error(tmp_path: Path) -> None:
    with pytest.raises(PreflibError, match="cannot read"):
        read_preflib(tmp_path / "nope.soc")


def test_round_trip_keeps_the_profile(tmp_path: Path) -> None:
    profile = Profile.from_ballots(["ABC", ["B", ("A", "C")], "CA"], [2, 1, 4])
    text = to_preflib(profile)
    assert "# DATA TYPE: toi" in text
    path = tmp_path / "p.toi"
    path.write_text(text)
    again = read_preflib(path)
    assert again.agents == profile.agents
    np.testing.assert_array_equal(again.pairwise(), profile.pairwise())
    np.testing.assert_array_equal(again.ties(), profile.ties())
