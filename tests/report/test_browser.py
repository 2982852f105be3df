"""The view tested as a person uses it: headless Chromium opens the page of a real finished search,
the tree has one circle per node, clicking a node shows its code and score, and a screenshot is
saved (to $AIRLAB_SCREENSHOT_DIR when set, for CI artifacts)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from airlab.journal import Journal
from airlab.report import load_run, write_view
from airlab.report.serve import make_server, url_of

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    configured = os.environ.get("AIRLAB_CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium binary found (apt-get install chromium, or set AIRLAB_CHROMIUM)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.mark.slow
def test_view_of_a_real_run_in_chromium(browser, real_run, tmp_path):
    run = load_run(real_run)
    page_file = write_view(real_run, tmp_path / "view.html")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())

    assert page.locator("#tree .node").count() == len(run.searched)
    assert page.locator("#tree .node.final").count() == 1
    assert page.locator("#timeline rect.bar").count() == len(run.searched)

    chosen = run.node(run.final_node_id)
    page.click(f'#tree .node[data-node="{chosen.id}"]')
    assert page.locator("#node-title").inner_text().startswith(f"Node {chosen.id} · ")
    code_shown = page.locator("#node-code").inner_text()
    first_line = next(line for line in chosen.code.splitlines() if line.strip())
    assert first_line in code_shown
    assert len(code_shown.splitlines()) == len(chosen.code.splitlines())
    facts = page.locator("#node-facts").inner_text()
    assert f"{chosen.search_score:.4f}" in facts
    assert "hidden during the search" in facts  # select and test, final node only

    child = next((n for n in run.searched if n.parent_ids), None)
    if child is not None:
        page.click(f'#tree .node[data-node="{child.id}"]')
        page.click('button[data-tab="diff"]')
        assert f"node {child.parent_ids[0]}/solution.py" in page.locator("#node-diff").inner_text()
        page.click('button[data-tab="code"]')

    drafts = [n for n in run.searched if n.operator == "draft"]
    page.uncheck('input[data-filter="operator"][value="draft"]')
    assert page.locator("#tree .node.dimmed").count() == len(drafts)

    screenshots = Path(os.environ.get("AIRLAB_SCREENSHOT_DIR") or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(path=str(screenshots / "view-tiny-run.png"), full_page=True)
    assert shot[:4] == b"\x89PNG"
    assert errors == []
    page.close()


@pytest.mark.slow
def test_served_view_refreshes_while_the_run_writes(browser, synthetic_run, tmp_path):
    live = tmp_path / "live-run"
    shutil.copytree(synthetic_run, live)
    server = make_server(live, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        page.goto(url_of(server))
        assert page.locator("#tree .node").count() == 7
        assert page.locator("header .live").count() == 1
        with Journal.open(live / "journal.sqlite") as journal:
            journal.add("improve", [2], note="written while the page is open")
        # the page polls data.json every two seconds and redraws with the new node
        page.wait_for_selector('#tree .node[data-node="7"]', timeout=30_000)
        assert page.locator("#tree .node").count() == 8
    finally:
        page.close()
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_plan_verdicts_in_chromium(browser, tmp_path):
    from airlab.runner import Run, RunConfig

    task = Path(__file__).resolve().parents[1] / "fixtures" / "plan-tiny"
    config = RunConfig.model_validate(
        {"task": str(task), "runs_dir": str(tmp_path / "runs"), "budget": {"steps": 4}}
    )
    run = Run.create(config)
    result = run.execute()
    page_file = write_view(run.folder.root, tmp_path / "view.html")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    page.click(f'#tree .node[data-node="{result.final_node}"]')
    assert page.locator("#node-code").inner_text().startswith("# Research plan")
    page.click('button[data-tab="verdicts"]')
    rows = page.locator("#node-verdicts tr.verdict")
    assert rows.count() == 12  # the final node: search, select and test items
    other = next(node.id for node in run.journal.nodes() if node.id != result.final_node)
    page.click(f'#tree .node[data-node="{other}"]')
    page.click('button[data-tab="verdicts"]')
    assert page.locator("#node-verdicts tr.verdict").count() == 6  # search items only
    assert errors == []
