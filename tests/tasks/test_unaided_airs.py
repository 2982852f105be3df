"""Issue 13's measure for the airs fixtures: import, task check and a 4-step offline search,
unaided (see imported_e2e.py)."""

import pytest
from imported_e2e import import_check_and_search


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "SentimentAnalysisYelpReviewFullAccuracy",
        "TextualSimilaritySickSpearmanCorrelation",
        "CoreferenceResolutionWinograndeAccuracy",
    ],
)
def test_imports_checks_and_searches_unaided(name, tmp_path):
    import_check_and_search(name, tmp_path)
