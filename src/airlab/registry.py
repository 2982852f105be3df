"""Name → factory registries with "did you mean" suggestions.

Every plug-in kind (tasks, metrics, sandboxes, backends, operators, policies, pools) resolves
through one of these, so `--policy mcts` needs no code and a typo gets a suggestion. A registry of
configurable plug-ins also knows each one's `Params` model and validates raw options against it,
once, in `parse_params`.

A registry given an entry-point `group` (`airlab.policies`, ...) also finds plug-ins installed as
packages: their names are read from the package metadata on the first lookup or listing, and each
plug-in's module is imported only when its name is asked for, so a broken plug-in cannot break
`airlab --help` or a run that does not use it. See docs/plugins.md.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel

from airlab.errors import ConfigError, PluginError, UnknownNameError
from airlab.params import NoParams, parse_params

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

T = TypeVar("T")

log = logging.getLogger("airlab.plugins")


class Registry(Generic[T]):
    """A named collection of plug-ins of one kind.

    `noun` is what one key of a plug-in's options is called in errors (`parameter`, `option`,
    `operator option`); `error` is the exception bad options raise. `group` is the entry-point
    group installed plug-ins of this kind register under; `adapt` turns the object an entry point
    loads into an item (a task's package into its folder)."""

    def __init__(
        self,
        kind: str,
        *,
        noun: str = "option",
        error: type[Exception] = ConfigError,
        group: str | None = None,
        adapt: Callable[[Any], T] | None = None,
    ) -> None:
        self.kind = kind
        self.noun = noun
        self.error = error
        self.group = group
        self._adapt = adapt
        self._items: dict[str, T] = {}
        self._params: dict[str, type[BaseModel]] = {}
        self._declared: set[str] = set()
        self._entry_points: dict[str, EntryPoint] | None = None
        """Installed plug-ins not loaded yet, by name; None until the metadata is read."""

    @overload
    def register(
        self, name: str, item: None = None, *, params: type[BaseModel] | None = None
    ) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, item: T, *, params: type[BaseModel] | None = None) -> T: ...

    def register(
        self, name: str, item: T | None = None, *, params: type[BaseModel] | None = None
    ) -> Callable[[T], T] | T:
        """Register `item` under `name`; usable as a decorator when `item` is omitted.

        `params` is the plug-in's Params model; without it, the item's own `Params` attribute
        (a class attribute of policies, pools, sandboxes), else `NoParams`."""

        def add(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            if self._entry_points and name in self._entry_points:  # registered in code: it wins
                log.warning(_clash_message(self, self._entry_points.pop(name)))
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
        if name in self._items:
            return self._items[name]
        entry = self._installed().get(name)
        if entry is None:
            raise UnknownNameError(self.unknown_message(name))
        return self._load(name, entry)

    def is_registered(self, name: str) -> bool:
        """Whether `name` was registered in code (installed plug-ins not looked at)."""
        return name in self._items

    def unknown_message(self, name: str) -> str:
        candidates = self._all_names()
        close = difflib.get_close_matches(name, candidates, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(candidates) or "none"
        install = ""
        if self.group and not close:
            install = f"; pip install the plug-in that provides it (entry points {self.group!r})"
        return f"unknown {self.kind} {name!r}{hint} (known: {known}{install})"

    def reload_plugins(self) -> None:
        """Read the installed plug-ins again on the next lookup (after a pip install)."""
        self._entry_points = None

    def _installed(self) -> dict[str, EntryPoint]:
        """Installed plug-ins of this kind not loaded yet, read from package metadata once."""
        if self._entry_points is None:
            self._entry_points = {}
            if self.group:
                from importlib import metadata  # only once a lookup misses or names are listed

                for entry in metadata.entry_points(group=self.group):
                    if entry.name in self._items:
                        log.warning(_clash_message(self, entry))
                    elif entry.name not in self._entry_points:  # first on sys.path wins
                        self._entry_points[entry.name] = entry
        return self._entry_points

    def _load(self, name: str, entry: EntryPoint) -> T:
        """Import an installed plug-in; a failure is one line naming its package."""
        try:
            loaded = entry.load()
            item = self._adapt(loaded) if self._adapt else loaded
        except Exception as exc:
            raise PluginError(
                f"{self.kind} {name!r} from {_distribution(entry)} ({entry.value}) failed to "
                f"load: {type(exc).__name__}: {exc}"
            ) from None
        declared = getattr(item, "name", None)  # a policy's, a metric's, an operator set's own
        if isinstance(declared, str) and not isinstance(item, os.PathLike) and declared != name:
            raise PluginError(
                f"{self.kind} {name!r} from {_distribution(entry)} ({entry.value}) calls itself "
                f"{declared!r}: the entry point's name and the object's name must match"
            )
        self._entry_points.pop(name, None)  # type: ignore[union-attr]
        self.register(name, item)
        return item

    def _all_names(self) -> list[str]:
        return sorted({*self._items, *self._installed()})

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
        """Registered and installed names (installed plug-ins are listed, not imported)."""
        return self._all_names()

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._installed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_names())

    def __len__(self) -> int:
        return len(self._all_names())


def _declared_params(item: object) -> type[BaseModel]:
    declared = getattr(item, "Params", None)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared
    return NoParams


def _distribution(entry: EntryPoint) -> str:
    """`plug-in package 'name 1.0'`, or the entry point's module when no package is known."""
    dist = getattr(entry, "dist", None)
    if dist is None:
        return f"plug-in {entry.module!r}"
    return f"plug-in package '{dist.name} {dist.version}'"


def _clash_message(registry: Registry[Any], entry: EntryPoint) -> str:
    return (
        f"ignored {registry.kind} {entry.name!r} of {_distribution(entry)} ({entry.value}): "
        f"airlab's own {registry.kind} {entry.name!r} has that name (entry-point group "
        f"{registry.group!r})"
    )
