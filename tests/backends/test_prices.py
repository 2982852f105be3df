"""The price table: exact names or one documented family rule, never a cheaper model whose name
happens to begin the asked one."""

from __future__ import annotations

import re

import pytest

from airlab.backends.llm.prices import Price, PriceTable

TABLE = PriceTable.load()

PRO_AND_DEEP = {
    "o1-pro": "o1",
    "o3-pro": "o3",
    "gpt-5-pro": "gpt-5",
    "o3-deep-research": "o3",
    "o4-mini-deep-research": "o4-mini",
    "claude-opus-4-5": "claude-opus-4",
}


@pytest.mark.parametrize(("model", "base"), PRO_AND_DEEP.items())
def test_pro_and_deep_variants_are_priced_as_themselves(model, base):
    assert TABLE.priced_as(model) == model
    assert TABLE.lookup(model) != TABLE.lookup(base)


@pytest.mark.parametrize("model", ["o3-pro-2099", "o3-pro-max", "gpt-5-pro-preview", "o3x"])
def test_an_unknown_name_is_unpriced_not_its_prefix(model):
    assert TABLE.lookup(model) is None


def test_a_missing_variant_never_falls_back_to_its_base():
    table = PriceTable({"o3": Price(2.0, 8.0)})
    assert table.lookup("o3-pro") is None
    assert table.lookup("o3-pro-2025-06-10") is None
    assert table.lookup("o3-2025-04-16") == Price(2.0, 8.0)


@pytest.mark.parametrize(
    ("snapshot", "family"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("o3-pro-2025-06-10", "o3-pro"),
        ("o4-mini-deep-research-2025-06-26", "o4-mini-deep-research"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
    ],
)
def test_dated_snapshots_take_their_familys_price(snapshot, family):
    assert TABLE.priced_as(snapshot) == family
    assert TABLE.lookup(snapshot) == TABLE.lookup(family) is not None


@pytest.mark.parametrize("model", ["gpt-4o-2024", "gpt-4o-audio-preview", "gpt-4o-20240806x"])
def test_only_a_whole_date_or_latest_is_a_snapshot_suffix(model):
    assert TABLE.lookup(model) is None


def test_a_snapshot_row_of_its_own_wins_over_its_family():
    old = Price(5.0, 15.0)
    table = PriceTable({"gpt-4o": Price(2.5, 10.0), "gpt-4o-2024-05-13": old})
    assert table.lookup("gpt-4o-2024-05-13") == old
    assert table.lookup("gpt-4o-2024-08-06") == Price(2.5, 10.0)


def test_every_bundled_price_names_its_source_and_date():
    for model, price in TABLE.prices.items():
        assert price.source and re.search(r"\d{4}-\d{2}-\d{2}", price.source), model


def test_a_user_table_may_name_sources(tmp_path):
    extra = tmp_path / "prices.yaml"
    extra.write_text("my-model: {input: 1, output: 2, source: my invoice}\n")
    assert PriceTable.load(extra).lookup("my-model") == Price(1.0, 2.0, source="my invoice")
