"""The `provenance` field: what it accepts, what it hides, and where it warns instead."""

from __future__ import annotations

import pytest
from rich.console import Console

from airlab.cli.display import header
from airlab.errors import TaskError
from airlab.runner import Run, RunConfig
from airlab.sandbox.bwrap import BwrapSandbox
from airlab.sandbox.process import ProcessSandbox
from airlab.tasks import load_task
from airlab.tasks.bundled import TASKS, source_spec
from airlab.tasks.provenance import AIRLAB_ITSELF, hidden_data, lookup_warning
from airlab.tasks.spec import CompetitionSource, PackageSource, UrlSource, load_spec

DIGITS = {
    "package": "scikit-learn",
    "loader": "sklearn.datasets.load_digits",
    "paths": ["datasets/data/digits.csv.gz"],
}


def test_each_kind_of_source_is_read(make_task):
    sources = [DIGITS, {"url": "https://example.org/x.csv"}, {"competition": "leaf"}]
    spec = load_spec(make_task(provenance=sources) / "task.yaml")
    assert [type(s) for s in spec.provenance] == [PackageSource, UrlSource, CompetitionSource]
    assert spec.package_sources[0].import_name == "sklearn"
    assert spec.provenance[2].platform == "kaggle"


def test_a_task_without_provenance_still_loads(make_task):
    spec = load_spec(make_task(source="somewhere, in words") / "task.yaml")
    assert spec.provenance == [] and spec.source == "somewhere, in words"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x"}, "needs one of the keys package, url or competition"),
        ({"package": "x", "paths": ["a"]}, "needs 'loader' or 'module'"),
        ({**DIGITS, "paths": ["../../etc/passwd"]}, "expected a glob inside the package"),
        ({**DIGITS, "paths": []}, "provenance.0.package.paths"),
        ({**DIGITS, "loader": "not a name"}, "expected a dotted Python name"),
        ({"url": "u", "extra": 1}, "unknown field 'provenance.0.url.extra'"),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(make_task, entry, message):
    with pytest.raises(TaskError, match="provenance") as caught:
        load_spec(make_task(provenance=[entry]) / "task.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_every_bundled_task_declares_its_package_source():
    from airlab.tasks.bundled import BUNDLED_ROOT

    for name in TASKS.names():
        if TASKS.get(name).parent != BUNDLED_ROOT:  # a task another test registered
            continue
        if name.startswith("plan-"):  # plan and revision tasks have no data to hide
            continue
        spec = source_spec(name)
        assert spec.package_sources, name
        assert all(s.loader and s.loader.startswith(s.import_name) for s in spec.package_sources)


def test_hidden_data_is_the_declared_sources_and_airlab(make_task):
    spec = load_spec(make_task(provenance=[DIGITS, {"url": "u"}]) / "task.yaml")
    data = hidden_data(spec)
    assert data[-1] == AIRLAB_ITSELF
    assert [(d.module, d.patterns) for d in data[:-1]] == [("sklearn", tuple(DIGITS["paths"]))]


def test_only_a_sandbox_that_cannot_hide_files_warns(make_task):
    spec = load_spec(make_task(provenance=[DIGITS]) / "task.yaml")
    bare = ProcessSandbox(use_cgroups=False, use_landlock=False)
    assert "file_hiding" not in bare.enforces()
    warning = lookup_warning(spec, bare)
    assert warning is not None and "scikit-learn" in warning and "look its answers up" in warning
    assert lookup_warning(spec, BwrapSandbox()) is None
    undeclared = load_spec(make_task("plain") / "task.yaml")
    assert lookup_warning(undeclared, bare) is None


def test_the_run_header_and_result_warn_under_a_sandbox_that_cannot_hide_files(make_task, tmp_path):
    task = make_task(provenance=[DIGITS])
    config = RunConfig.model_validate(
        {"task": str(task), "sandbox": "process", "runs_dir": str(tmp_path / "runs")}
    )
    run = Run.create(config)
    run.search.sandbox = ProcessSandbox(use_cgroups=False, use_landlock=False)
    console = Console(record=True, width=300)
    console.print(header(run))
    assert "can look its answers up" in console.export_text()
    # the same warning is one of the run's warnings, which result.json keeps
    assert any("look its answers up" in w for w in run.search.warnings())
    run.search.sandbox = BwrapSandbox()
    console = Console(record=True, width=300)
    console.print(header(run))
    assert "look its answers up" not in console.export_text()
    assert not any("look its answers up" in w for w in run.search.warnings())
    assert load_task(task).spec.package_sources
