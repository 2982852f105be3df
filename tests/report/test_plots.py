"""Plots are registered by name, drawn from runs, and skipped when they have nothing to show."""

import shutil

import pytest
from matplotlib.figure import Figure

from airlab.report import load_run
from airlab.report.plots import PLOTS, write_plots
from airlab.report.summary import markdown_summary


@pytest.fixture(scope="module")
def run(synthetic_run):
    return load_run(synthetic_run)


def test_every_registered_plot_draws_a_single_run(run):
    assert {
        "best_vs_candidates",
        "best_vs_time",
        "self_reported_vs_hidden",
        "score_by_operator",
        "status_over_time",
        "final_choice",
        "policy_comparison",
    } <= set(PLOTS.names())
    for name in PLOTS.names():
        figure = PLOTS.get(name)([run])
        if name == "policy_comparison":
            assert figure is None  # one run: nothing to compare
        else:
            assert isinstance(figure, Figure), name


def test_best_curve_plots_the_running_best(run):
    figure = PLOTS.get("best_vs_candidates")([run])
    line = figure.axes[0].get_lines()[0]
    assert list(line.get_ydata()) == [0.80, 0.80, 0.90, 0.90, 0.90, 0.90]


def test_self_reported_scatter_pairs_each_good_node(run):
    figure = PLOTS.get("self_reported_vs_hidden")([run])
    points = figure.axes[0].collections[0].get_offsets().tolist()
    assert sorted(map(tuple, points)) == [(0.82, 0.80), (0.84, 0.85), (0.86, 0.85), (0.95, 0.90)]


def test_several_runs_are_compared(synthetic_run, tmp_path):
    other = tmp_path / "run-other"
    shutil.copytree(synthetic_run, other)
    runs = [load_run(synthetic_run), load_run(other)]
    written = write_plots(
        runs,
        tmp_path / "plots",
        names=["policy_comparison", "best_vs_candidates"],
        formats=("png", "svg"),
    )
    assert sorted(path.name for path in written) == [
        "best_vs_candidates.png",
        "best_vs_candidates.svg",
        "policy_comparison.png",
        "policy_comparison.svg",
    ]
    assert all(path.stat().st_size > 1000 for path in written)
    assert (tmp_path / "plots" / "policy_comparison.png").read_bytes()[:4] == b"\x89PNG"
    summary = markdown_summary(runs, written, base=tmp_path)
    assert summary.count("| run-") == 2
    assert "![best_vs_candidates](plots/best_vs_candidates.png)" in summary
