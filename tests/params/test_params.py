"""Typed plug-in parameters: one check, by the registry, for every plug-in kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from airlab.backends import BACKENDS, make_backend
from airlab.errors import BackendError, ConfigError
from airlab.evaluation.errors import EvaluationError
from airlab.evaluation.profile import Profile
from airlab.evaluation.ranking import rank
from airlab.operators import OPERATOR_SETS, operator_options
from airlab.params import NoParams, Params, params_from_signature, params_table
from airlab.params_docs import documented, registries, update
from airlab.policies import POLICIES, make_policy
from airlab.registry import Registry
from airlab.runner.pool import POOLS, make_pool
from airlab.sandbox import SANDBOXES, get_sandbox

DOCS = Path(__file__).parents[2] / "docs"


class _Knobs(Params):
    depth: int = Field(3, ge=1)
    """How deep."""
    greedy: bool = False


class _Plugin:
    Params = _Knobs


def test_registry_parses_the_declared_params_and_suggests_a_name():
    registry: Registry[object] = Registry("widget", noun="knob")
    registry.register("thing", _Plugin)
    registry.register("bare", object())
    parsed = registry.parse_params("thing", {"depth": 5})
    assert isinstance(parsed, _Knobs) and parsed.depth == 5 and parsed.greedy is False
    assert registry.parse_params("thing", parsed) is parsed
    assert registry.params_model("bare") is NoParams
    with pytest.raises(ConfigError) as info:
        registry.parse_params("thing", {"dept": 5})
    assert str(info.value) == (
        "widget 'thing': unknown knob 'dept'; did you mean 'depth'? (known: depth, greedy)"
    )
    with pytest.raises(ConfigError, match=r"widget 'thing': knob 'depth': .*, got 0$"):
        registry.parse_params("thing", {"depth": 0})
    with pytest.raises(ConfigError, match="unknown knob 'x' \\(known: none\\)"):
        registry.parse_params("bare", {"x": 1})


def test_operator_options_merge_the_set_cues_and_reject_typos():
    assert operator_options("extended", {"memory": False}).memory is False
    extended = operator_options("extended")
    assert extended.memory is True and extended.diversity is True
    assert operator_options("aide").memory is None  # each backend keeps its own default
    with pytest.raises(ConfigError) as info:
        operator_options("aide", {"memroy": False})
    assert str(info.value).startswith(
        "unknown operator option 'memroy'; did you mean 'memory'? (known: memory, diversity,"
    )
    with pytest.raises(ConfigError, match=r"operator option .react_turns.*got 1\.5"):
        operator_options("aide", {"react_turns": 1.5})
    with pytest.raises(ConfigError, match=r"operator option .memory.*got 1$"):
        operator_options("aide", {"memory": 1})  # strict: no silent truthiness


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: make_policy("greedy", {"num_draft": 2}, ("draft",)),
            ConfigError,
            "policy 'greedy': unknown parameter 'num_draft'; did you mean 'num_drafts'?",
        ),
        (
            lambda: make_policy("mcts", {"uct_c": -1}, ("draft",)),
            ConfigError,
            "policy 'mcts': parameter 'uct_c': Input should be greater than or equal to 0, got -1",
        ),
        (
            lambda: make_backend("templates", {"bug_rat": 0.1}),
            BackendError,
            "backend 'templates': unknown option 'bug_rat'; did you mean 'bug_rate'?",
        ),
        (
            lambda: make_backend("openai/gpt-4o", {"max_tokens": "many"}),
            BackendError,
            "backend 'openai/gpt-4o': option 'max_tokens': Input should be a valid integer",
        ),
        (
            lambda: make_pool("ray", 1, get_sandbox("process"), {"adress": "auto"}),
            ConfigError,
            "pool 'ray': unknown option 'adress'; did you mean 'address'?",
        ),
        (
            lambda: get_sandbox("process", {"use_landlok": False}),
            ConfigError,
            "sandbox 'process': unknown option 'use_landlok'; did you mean 'use_landlock'?",
        ),
        (
            lambda: rank(Profile.from_ballots(["AB"]), "elo", ancor=1.0),
            EvaluationError,
            "method 'elo': unknown option 'ancor'; did you mean 'anchor'?",
        ),
    ],
)
def test_every_kind_rejects_in_one_line(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_plugins_read_typed_fields():
    assert make_backend("templates", {"bug_rate": 0.3}).bug_rate == 0.3  # type: ignore[attr-defined]
    assert make_policy("greedy", {"num_drafts": 2}, ("draft",)).params.num_drafts == 2  # type: ignore[attr-defined]
    sandbox = get_sandbox("process", {"use_landlock": False, "use_cgroups": False})
    assert "no Landlock" in sandbox.describe()


def test_every_registered_plugin_declares_forbidding_documented_params():
    for registry in registries().values():
        for name in registry.names():
            model = registry.params_model(name)
            assert model.model_config.get("extra") == "forbid", (registry.kind, name)
            if registry.kind == "ranking method":
                continue  # their signature is the declaration; no docstrings per argument
            for field, info in model.model_fields.items():
                assert info.description, f"{registry.kind} {name!r}: {field!r} has no docstring"


def test_docs_tables_are_current_and_cover_every_plugin():
    texts = {path.name: path.read_text() for path in sorted(DOCS.glob("*.md"))}
    stale = [name for name, text in texts.items() if update(text) != text]
    assert not stale, f"run `python -m airlab.params_docs docs/*.md` ({', '.join(stale)})"
    blocks = set().union(*(documented(text) for text in texts.values()))
    expected = {("policy", name) for name in POLICIES.names()}
    expected |= {("backend", "templates"), ("backend", "openai"), ("operator set", "aide")}
    expected |= {("pool", name) for name in POOLS.names()}
    expected |= {("sandbox", name) for name in SANDBOXES.names()}
    assert expected <= blocks
    assert all(
        BACKENDS.params_model("openai") is BACKENDS.params_model(p)
        for p in ("anthropic", "openai-compatible", "replay")
    )
    assert OPERATOR_SETS.params_model("aide") is OPERATOR_SETS.params_model("extended")


def test_params_table_and_signature_models():
    def method(profile: object, rounds: int = 3, mode: str = "fast") -> None: ...

    model = params_from_signature(method)
    assert list(model.model_fields) == ["rounds", "mode"]
    assert model.model_validate({"rounds": "4"}).rounds == 4  # type: ignore[attr-defined]
    table = params_table(_Knobs)
    assert "| `depth` | `3` | How deep. |" in table
    assert "| `greedy` | `false` |" in table
    assert params_table(NoParams) == "takes no parameters"


def test_a_backend_factory_without_params_still_gets_its_raw_options():
    seen = {}

    def legacy(model, options):
        seen.update(options)
        return make_backend("templates")

    BACKENDS.register("legacy-test", legacy)
    try:
        make_backend("legacy-test", {"anything": 1})
    finally:
        BACKENDS.unregister("legacy-test")
    assert seen == {"anything": 1}
    assert BACKENDS.declares_params("templates")
