"""Reports: an HTML view of a run's search tree, plots across runs, a markdown summary, exports.

Everything here reads a run folder read-only (`load_run`), so it works on finished runs and on runs
still being written.
"""

from airlab.report.data import RunData, load_run
from airlab.report.page import render_html, write_view
from airlab.report.viewmodel import build_view

__all__ = ["RunData", "build_view", "load_run", "render_html", "write_view"]
