"""Conformance suites every plug-in must pass, shipped with the package (after `optuna.testing`),
and a fake LLM server (`airlab.testing.fake_llm`) that speaks the OpenAI and Anthropic wire formats
on 127.0.0.1, for testing backends and runs with no network.

Each suite is a pytest base class; a plug-in's own tests subclass it and provide one fixture:

| suite | module | fixture to provide |
|---|---|---|
| `PolicySuite` | `airlab.testing.policy` | `policy_factory`: operators → a fresh `Policy` |
| `BackendSuite` | `airlab.testing.backend` | `backend`: a fresh `Backend` |
| `PoolSuite` | `airlab.testing.pool` | `pool_factory`: (workers, sandbox) → a `Pool` |
| `SandboxSuite` | `airlab.testing.sandbox` | `sandbox`: a fresh `Sandbox` |

pytest is needed only by the suite modules (`pip install 'airlab[testing]'`); importing `airlab`,
or this package, never imports it. See docs/testing-plugins.md.
"""

from __future__ import annotations

import sys
from typing import Any

_SUITES = {
    "PolicySuite": "airlab.testing.policy",
    "BackendSuite": "airlab.testing.backend",
    "PoolSuite": "airlab.testing.pool",
    "SandboxSuite": "airlab.testing.sandbox",
}

__all__ = sorted(_SUITES)

_pytest = sys.modules.get("pytest")
if _pytest is not None:
    # Under pytest, the suites' failed asserts show the values compared (as a test file's do):
    # their modules are marked for assertion rewriting before any of them is imported.
    _pytest.register_assert_rewrite(
        *_SUITES.values(), "airlab.testing.hostile", "airlab.testing.chat_run"
    )


def __getattr__(name: str) -> Any:
    """`from airlab.testing import PolicySuite` imports the suite module (and pytest) then."""
    if name not in _SUITES:
        raise AttributeError(f"module 'airlab.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_SUITES[name]), name)
