"""What a call cost: tokens times the price of its model, from a table the user can extend.

A model is priced by its exact name, or by one documented family rule: a dated snapshot or a
`-latest` alias (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`, `claude-3-5-haiku-latest`)
takes the price of the name without that suffix, when the table lists it. Nothing else matches:
`o3-pro` is not `o3`, and a name the table does not know has no price (its cost is unknown, and a
`--cost` budget over it is refused), instead of the price of a cheaper model whose name begins it.

The bundled figures are list prices (standard tier, USD per 1M tokens) from the providers' pages;
every row of `prices.yaml` names the page it was read from and the date (`source`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from airlab.errors import BackendError

PRICES_FILE = "prices.yaml"
_PRICE_FIELDS = {"input", "output", "cached_input", "cache_write", "source"}
_SNAPSHOT_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
"""A dated snapshot (OpenAI `-2024-08-06`, Anthropic `-20250929`) or a `-latest` alias."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cached_input: float | None = None
    """Input tokens read from the prompt cache (none: the input price)."""
    cache_write: float | None = None
    """Input tokens written to the prompt cache (none: the input price)."""
    source: str | None = None
    """Where the figures were read, and when (bundled rows always say)."""

    def cost(
        self, tokens_in: int, tokens_out: int, cached_in: int = 0, cache_write_in: int = 0
    ) -> float:
        """`tokens_in` counts every input token, the cached and cache-written ones included."""
        cached = self.input if self.cached_input is None else self.cached_input
        write = self.input if self.cache_write is None else self.cache_write
        plain = max(tokens_in - cached_in - cache_write_in, 0)
        dollars = plain * self.input + cached_in * cached + cache_write_in * write
        return (dollars + tokens_out * self.output) / 1_000_000


class PriceTable:
    """Model name → price: the exact name, else its family (the name less a snapshot suffix)."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = prices

    @classmethod
    def load(cls, extra: Path | None = None) -> PriceTable:
        bundled = resources.files("airlab.backends.llm").joinpath(PRICES_FILE).read_text()
        prices = _parse(yaml.safe_load(bundled), PRICES_FILE)
        if extra is not None:
            path = Path(extra)
            if not path.is_file():
                raise BackendError(f"{path}: price table not found")
            try:
                data = yaml.safe_load(path.read_text())
            except yaml.YAMLError:
                raise BackendError(f"{path}: not valid YAML") from None
            prices.update(_parse(data, str(path)))
        return cls(prices)

    def lookup(self, model: str) -> Price | None:
        row = self.priced_as(model)
        return None if row is None else self.prices[row]

    def priced_as(self, model: str) -> str | None:
        """The table row that prices `model`: its own, its family's, or none."""
        if model in self.prices:
            return model
        family = family_of(model)
        return family if family in self.prices else None

    def cost(
        self,
        model: str,
        tokens_in: int,
        tokens_out: int,
        cached_in: int = 0,
        cache_write_in: int = 0,
    ) -> float:
        """USD for one call; 0 for a model with no known price (e.g. a local server)."""
        price = self.lookup(model)
        if price is None:
            return 0.0
        return price.cost(tokens_in, tokens_out, cached_in, cache_write_in)


def family_of(model: str) -> str:
    """`model` less one snapshot suffix (a date or `-latest`); itself when it has none."""
    return _SNAPSHOT_SUFFIX.sub("", model, count=1)


def _parse(data: Any, source: str) -> dict[str, Price]:
    if not isinstance(data, dict):
        raise BackendError(f"{source}: expected a mapping of model names to prices")
    prices = {}
    for model, entry in data.items():
        if (
            not isinstance(entry, dict)
            or not {"input", "output"} <= set(entry)
            or not set(entry) <= _PRICE_FIELDS
        ):
            raise BackendError(
                f"{source}: model {model!r}: expected {{input: USD, output: USD}} per 1M tokens "
                "(optionally cached_input, cache_write, source)"
            )
        try:
            optional = {k: float(entry[k]) for k in ("cached_input", "cache_write") if k in entry}
            origin = str(entry["source"]) if entry.get("source") is not None else None
            prices[str(model)] = Price(
                float(entry["input"]), float(entry["output"]), **optional, source=origin
            )
        except (TypeError, ValueError):
            raise BackendError(f"{source}: model {model!r}: prices must be numbers") from None
    return prices
