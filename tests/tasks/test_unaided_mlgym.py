"""Issue 13's measure for the mlgym fixtures: import, task check and a 2-step offline search,
unaided (see imported_e2e.py)."""

import pytest
from imported_e2e import import_check_and_search


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["titanic", "regressionKaggleHousePrice", "regressionKaggleHousePriceL1"]
)
def test_imports_checks_and_searches_unaided(name, tmp_path):
    import_check_and_search(name, tmp_path)
