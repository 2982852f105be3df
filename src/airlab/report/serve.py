"""`airlab view --serve`: the same page, served on 127.0.0.1 and refreshed while a run is going.

Each request re-reads the journal (read-only), so the page's poll of `data.json` sees new nodes as
soon as the run commits them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from airlab.errors import ConfigError
from airlab.report.data import load_run
from airlab.report.page import render_html
from airlab.report.viewmodel import build_view

HOST = "127.0.0.1"


def make_server(run_dir: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server (not yet serving) for one run folder; port 0 picks a free port."""
    run_dir = Path(run_dir)
    load_run(run_dir)  # fail now, with a one-line error, if this is not a run folder

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            routes: dict[str, tuple[str, Callable[[], str]]] = {
                "/": ("text/html", lambda: render_html(load_run(run_dir), live=True)),
                "/index.html": ("text/html", lambda: render_html(load_run(run_dir), live=True)),
                "/data.json": (
                    "application/json",
                    lambda: json.dumps(build_view(load_run(run_dir), live=True)),
                ),
            }
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self.send_error(404)
                return
            content_type, render = route
            body = render().encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: the page polls every two seconds."""

    try:
        return ThreadingHTTPServer((HOST, port), Handler)
    except OSError as exc:
        raise ConfigError(
            f"option --port: cannot listen on {HOST}:{port} ({exc.strerror})"
        ) from None


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = host.decode() if isinstance(host, bytes) else host
    return f"http://{shown}:{port}/"
