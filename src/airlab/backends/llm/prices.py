"""What a call cost: tokens times the price of its model, from a table the user can extend."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from airlab.errors import BackendError

PRICES_FILE = "prices.yaml"


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


class PriceTable:
    """Model name → price; dated or suffixed names fall back to the longest known prefix."""

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
        if model in self.prices:
            return self.prices[model]
        prefixes = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(prefixes, key=len)] if prefixes else None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float:
        """USD for one call; 0 for a model with no known price (e.g. a local server)."""
        price = self.lookup(model)
        return 0.0 if price is None else price.cost(tokens_in, tokens_out)


def _parse(data: Any, source: str) -> dict[str, Price]:
    if not isinstance(data, dict):
        raise BackendError(f"{source}: expected a mapping of model names to prices")
    prices = {}
    for model, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"input", "output"}:
            raise BackendError(
                f"{source}: model {model!r}: expected {{input: USD, output: USD}} per 1M tokens"
            )
        try:
            prices[str(model)] = Price(float(entry["input"]), float(entry["output"]))
        except (TypeError, ValueError):
            raise BackendError(f"{source}: model {model!r}: prices must be numbers") from None
    return prices
