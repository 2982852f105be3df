"""Installed plug-ins: registries find them by entry point, import them only when asked for, and
turn a broken one or a name clash into one line naming the package."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from airlab.errors import PluginError, UnknownNameError
from airlab.grading.metrics import METRICS
from airlab.policies import POLICIES, make_policy
from airlab.registry import Registry

Install = Callable[..., Path]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Put a distribution (its dist-info and modules) on sys.path, as pip would install it."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    added: list[str] = []

    def build(dist: str, entry_points: dict[str, dict[str, str]], modules: dict[str, str]) -> Path:
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = []
        for group, entries in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in entries.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in modules.items():
            (site / f"{module}.py").write_text(source)
            added.append(module)
        return site

    yield build
    for module in added:
        sys.modules.pop(module, None)


def fresh(registry: Registry) -> Registry:
    registry.reload_plugins()
    return registry


@pytest.fixture(autouse=True)
def forget_plugins():
    """Registries read the entry points once; each test installs its own."""
    yield
    for registry in (POLICIES, METRICS):
        for name in list(registry.names()):
            if name.startswith("plug"):
                registry.unregister(name)
        registry.reload_plugins()


POLICY_MODULE = """
from airlab.policies import Greedy

class PlugGreedy(Greedy):
    name = "plug-greedy"


class Misnamed(Greedy):
    name = "greedy-two"
"""


def test_an_installed_policy_is_found_by_name_and_imported_only_then(install: Install) -> None:
    install(
        "plug-dist",
        {"airlab.policies": {"plug-greedy": "plug_mod:PlugGreedy"}},
        {"plug_mod": POLICY_MODULE},
    )
    fresh(POLICIES)
    assert "plug-greedy" in POLICIES.names() and "plug-greedy" in POLICIES
    assert "plug_mod" not in sys.modules, "listing a plug-in must not import it"
    policy = make_policy("plug-greedy", {"num_drafts": 2}, ("draft", "improve", "debug"))
    assert type(policy).__name__ == "PlugGreedy" and policy.params.num_drafts == 2
    assert POLICIES.params_model("plug-greedy") is POLICIES.params_model("greedy")


def test_a_typo_of_an_installed_name_gets_a_suggestion(install: Install) -> None:
    install(
        "plug-dist",
        {"airlab.policies": {"plug-greedy": "plug_mod:PlugGreedy"}},
        {"plug_mod": POLICY_MODULE},
    )
    with pytest.raises(UnknownNameError, match="did you mean 'plug-greedy'"):
        fresh(POLICIES).get("plug-gredy")
    with pytest.raises(UnknownNameError) as unknown:
        POLICIES.get("zzzz")
    message = str(unknown.value)
    assert "plug-greedy" in message and "pip install" in message and "airlab.policies" in message


def test_a_broken_plugin_is_one_line_naming_its_package(install: Install) -> None:
    install(
        "plug-broken",
        {
            "airlab.policies": {
                "plug-broken": "plug_broken:Missing",
                "plug-greedy": "plug_ok:PlugGreedy",
            }
        },
        {"plug_broken": "import not_a_module_anywhere\n", "plug_ok": POLICY_MODULE},
    )
    fresh(POLICIES)
    assert "plug-greedy" in POLICIES.names()  # listing works although one plug-in is broken
    with pytest.raises(PluginError) as error:
        POLICIES.get("plug-broken")
    message = str(error.value)
    assert "\n" not in message
    for part in (
        "'plug-broken'",
        "plug-broken 1.0",
        "ModuleNotFoundError",
        "not_a_module_anywhere",
    ):
        assert part in message
    assert POLICIES.get("plug-greedy").__name__ == "PlugGreedy"  # the other one still loads


def test_an_entry_point_must_carry_the_objects_name(install: Install) -> None:
    install(
        "plug-misnamed",
        {"airlab.policies": {"plug-misnamed": "plug_mod:Misnamed"}},
        {"plug_mod": POLICY_MODULE},
    )
    with pytest.raises(PluginError, match="calls itself 'greedy-two'"):
        fresh(POLICIES).get("plug-misnamed")


def test_a_plugin_cannot_replace_a_builtin(
    install: Install, caplog: pytest.LogCaptureFixture
) -> None:
    install(
        "plug-clash",
        {"airlab.metrics": {"rmse": "plug_metric:RMSE"}},
        {"plug_metric": "raise RuntimeError('must never be imported')\n"},
    )
    builtin = METRICS.get("rmse")
    with caplog.at_level(logging.WARNING, logger="airlab.plugins"):
        assert fresh(METRICS).names().count("rmse") == 1
        assert METRICS.get("rmse") is builtin
    [record] = [r for r in caplog.records if r.name == "airlab.plugins"]
    assert "'rmse'" in record.message and "plug-clash 1.0" in record.message
    assert "\n" not in record.message


def test_a_builtin_registered_later_wins_over_a_plugin(
    install: Install, caplog: pytest.LogCaptureFixture
) -> None:
    install(
        "plug-late",
        {"airlab.widgets": {"knob": "plug_knob:KNOB"}},
        {"plug_knob": "KNOB = 'from the plug-in'\n"},
    )
    widgets: Registry[str] = Registry("widget", group="airlab.widgets")
    assert widgets.names() == ["knob"]
    with caplog.at_level(logging.WARNING, logger="airlab.plugins"):
        widgets.register("knob", "built in")
    assert widgets.get("knob") == "built in"
    assert any("plug-late" in r.message for r in caplog.records)


def test_an_installed_task_is_a_package_holding_task_yaml(install: Install, tmp_path: Path) -> None:
    from airlab.tasks.bundled import TASKS

    site = install(
        "plug-task",
        {"airlab.tasks": {"plug-task": "plug_task_pkg", "plug-empty": "plug_task_empty"}},
        {},
    )
    for package, files in (("plug_task_pkg", {"task.yaml": "name: x\n"}), ("plug_task_empty", {})):
        (site / package).mkdir()
        (site / package / "__init__.py").write_text("")
        for name, text in files.items():
            (site / package / name).write_text(text)
    fresh(TASKS)
    try:
        assert TASKS.get("plug-task") == site / "plug_task_pkg"
        with pytest.raises(PluginError, match=r"plug_task_empty has no task\.yaml"):
            TASKS.get("plug-empty")
    finally:
        TASKS.unregister("plug-task")
        TASKS.reload_plugins()
        for package in ("plug_task_pkg", "plug_task_empty"):
            sys.modules.pop(package, None)


def test_a_registry_without_a_group_reads_no_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: object) -> None:
        raise AssertionError("entry points read for a registry without a group")

    monkeypatch.setattr("importlib.metadata.entry_points", refuse)
    plain: Registry[int] = Registry("number")
    plain.register("one", 1)
    assert plain.names() == ["one"] and "two" not in plain


def test_airlab_tasks_lists_the_tasks_despite_a_broken_task_plugin(install: Install) -> None:
    """A task plug-in that fails to import is one red line under the table, not a traceback."""
    from typer.testing import CliRunner

    from airlab.cli import app
    from airlab.tasks.bundled import TASKS

    install(
        "plug-tasks", {"airlab.tasks": {"plug-bad": "plug_bad_task"}}, {"plug_bad_task": "1/0\n"}
    )
    fresh(TASKS)
    try:
        result = CliRunner().invoke(app, ["tasks"], terminal_width=200)
    finally:
        TASKS.reload_plugins()
    assert result.exit_code == 0, result.output
    assert "digits" in result.output and "Traceback" not in result.output
    assert "task 'plug-bad' from plug-in package 'plug-tasks 1.0'" in result.output
    assert "ZeroDivisionError" in result.output
