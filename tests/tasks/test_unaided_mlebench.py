"""Issue 13's measure for the mlebench fixtures: import, task check and a 2-step offline search,
unaided (see imported_e2e.py)."""

import pytest
from imported_e2e import import_check_and_search


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "spooky-author-identification",
        "leaf-classification",
        "nomad2018-predict-transparent-conductors",
        "random-acts-of-pizza",  # JSON tables: train.json, and test.json beside ids-only test.csv
    ],
)
def test_imports_checks_and_searches_unaided(name, tmp_path):
    import_check_and_search(name, tmp_path)
