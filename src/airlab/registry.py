"""Name → factory registries with "did you mean" suggestions.

Every plug-in kind (tasks, metrics, sandboxes, backends, operators, policies, pools) resolves
through one of these, so `--policy mcts` needs no code and a typo gets a suggestion. A registry of
configurable plug-ins also knows each one's `Params` model and validates raw options against it,
once, in `parse_params`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from airlab.errors import ConfigError, UnknownNameError
from airlab.params import NoParams, parse_params

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of plug-ins of one kind.

    `noun` is what one key of a plug-in's options is called in errors (`parameter`, `option`,
    `operator option`); `error` is the exception bad options raise."""

    def __init__(
        self, kind: str, *, noun: str = "option", error: type[Exception] = ConfigError
    ) -> None:
        self.kind = kind
        self.noun = noun
        self.error = error
        self._items: dict[str, T] = {}
        self._params: dict[str, type[BaseModel]] = {}
        self._declared: set[str] = set()

    def register(
        self, name: str, item: T | None = None, *, params: type[BaseModel] | None = None
    ) -> Callable[[T], T] | T:
        """Register `item` under `name`; usable as a decorator when `item` is omitted.

        `params` is the plug-in's Params model; without it, the item's own `Params` attribute
        (a class attribute of policies, pools, sandboxes), else `NoParams`."""

        def add(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            self._params[name] = params or _declared_params(obj)
            if params is not None or self._params[name] is not NoParams:
                self._declared.add(name)
            return obj

        if item is None:
            return add
        return add(item)

    def unregister(self, name: str) -> None:
        """Forget plug-in `name` (for tests that register a temporary one)."""
        self._items.pop(name, None)
        self._params.pop(name, None)
        self._declared.discard(name)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(self._items)) or "none"
        return f"unknown {self.kind} {name!r}{hint} (known: {known})"

    def params_model(self, name: str) -> type[BaseModel]:
        """The Params model of plug-in `name`."""
        self.get(name)
        return self._params[name]

    def declares_params(self, name: str) -> bool:
        """Whether plug-in `name` was registered with a Params model (or has its own)."""
        self.get(name)
        return name in self._declared

    def parse_params(
        self, name: str, raw: Mapping[str, Any] | BaseModel | None, *, owner: str | None = None
    ) -> BaseModel:
        """Validate raw options of plug-in `name`; unknown keys get a "did you mean".

        `owner` names the plug-in in the message (default: `<kind> '<name>'`)."""
        return parse_params(
            self.params_model(name),
            raw,
            owner=f"{self.kind} {name!r}" if owner is None else owner,
            noun=self.noun,
            error=self.error,
        )

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)


def _declared_params(item: object) -> type[BaseModel]:
    declared = getattr(item, "Params", None)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared
    return NoParams
