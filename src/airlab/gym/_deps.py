"""Gymnasium is an optional extra: imported only when an environment is built."""

from __future__ import annotations

from types import ModuleType

from airlab.errors import ConfigError


def gymnasium() -> ModuleType:
    """The `gymnasium` module, or a one-line error naming the extra that installs it."""
    try:
        import gymnasium as gym
    except ImportError:
        raise ConfigError(
            "the airlab gym needs the 'gymnasium' package: pip install 'airlab[gym]'"
        ) from None
    return gym
