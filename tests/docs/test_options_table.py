"""Every operator option is in the table of `docs/policies.md`, where users look them up: the
repairs and checks grew one by one, and an option missing there is one nobody can find."""

from __future__ import annotations

import re
from pathlib import Path

from airlab.operators.options import OperatorOptions

POLICIES = Path(__file__).parents[2] / "docs" / "policies.md"


def test_every_operator_option_has_a_row_in_the_policies_table() -> None:
    rows = set(re.findall(r"^\| `(\w+)` \|", POLICIES.read_text(), flags=re.MULTILINE))
    missing = sorted(set(OperatorOptions.model_fields) - rows)
    assert not missing, f"options without a row in docs/policies.md: {missing}"
