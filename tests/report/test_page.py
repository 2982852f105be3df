"""The HTML page: self-contained, data embedded safely, and served live on localhost."""

import json
import re
import threading
import urllib.request

import pytest

from airlab.errors import ConfigError
from airlab.report import load_run, render_html, write_view
from airlab.report.page import embed_json
from airlab.report.serve import make_server, url_of


def test_page_is_self_contained(synthetic_run, tmp_path):
    path = write_view(synthetic_run, tmp_path / "view.html")
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "__AIRLAB_" not in page  # every placeholder was filled
    # nothing is fetched from elsewhere: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    data = json.loads(re.search(r'id="airlab-data">(.*?)</script>', page, re.S).group(1))
    assert len(data["nodes"]) == 7 and data["run"]["live"] is False


def test_default_view_goes_into_the_run_folder(synthetic_run, tmp_path):
    copy = tmp_path / "run"
    copy.mkdir()
    (copy / "journal.sqlite").write_bytes((synthetic_run / "journal.sqlite").read_bytes())
    assert write_view(copy) == copy.resolve() / "view.html"


def test_embedded_data_cannot_close_the_script_element():
    text = embed_json({"plan": "</script><script>alert(1)</script><!--"})
    assert "<" not in text
    assert json.loads(text) == {"plan": "</script><script>alert(1)</script><!--"}


def test_served_page_and_data_are_fresh_and_live(synthetic_run):
    server = make_server(synthetic_run, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = url_of(server)
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read().decode()
        assert '"live":true' in page
        with urllib.request.urlopen(url + "data.json", timeout=30) as response:
            data = json.loads(response.read())
        assert [node["id"] for node in data["nodes"]] == list(range(7))
        try:
            urllib.request.urlopen(url + "../journal.sqlite", timeout=30)
            raise AssertionError("only the page and its data are served")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_busy_port_is_a_one_line_error(synthetic_run):
    first = make_server(synthetic_run, port=0)
    try:
        port = first.server_address[1]
        with pytest.raises(ConfigError, match=f"option --port: cannot listen on 127.0.0.1:{port}"):
            make_server(synthetic_run, port=port)
    finally:
        first.server_close()


def test_rendering_does_not_change_the_run(synthetic_run):
    journal = synthetic_run / "journal.sqlite"
    before = journal.read_bytes()
    render_html(load_run(synthetic_run))
    assert journal.read_bytes() == before
