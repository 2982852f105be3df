"""A tiny local server that speaks the OpenAI chat-completions and Anthropic messages wire
formats, so the tests go through the real SDK clients with no network.

Replies come from a script (a queue of `Reply`) and, when it is empty, from a responder function
of the request. A reply may be an error status with headers (429 + Retry-After, 500), a raw body
that is not JSON, a delay longer than the client's timeout, or plain text.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    """Sent as is (with a JSON content type): for malformed bodies."""
    delay_s: float = 0.0
    tokens_in: int = 100
    tokens_out: int = 50
    finish_reason: str = "stop"
    error_message: str = "error"
    usage: bool = True
    """False: the answer has no usage block (as some servers send)."""


@dataclass
class Request:
    api: str  # "openai" or "anthropic"
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    """Lower-cased names."""

    @property
    def prompt(self) -> str:
        """Every message's text, system included, joined."""
        parts = [str(self.body.get("system", ""))]
        parts += [str(m.get("content", "")) for m in self.body.get("messages", [])]
        return "\n".join(parts)

    @property
    def last_user(self) -> str:
        users = [m for m in self.body.get("messages", []) if m.get("role") == "user"]
        return str(users[-1]["content"]) if users else ""


Responder = Callable[[Request], Reply]


class FakeLLMServer:
    """Start with `with FakeLLMServer(responder) as server:`; `server.openai_url` ends in /v1."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder = responder or (lambda request: Reply(text="no script"))
        self.script: deque[Reply] = deque()
        self.requests: list[Request] = []
        self.reported_in = 0
        self.reported_out = 0
        """Tokens this server reported in the usage of its successful answers: what a run
        must account for, exactly."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.script:
                return self.script.popleft()
        return self.responder(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/chat/completions"):
                    api = "openai"
                elif self.path.endswith("/messages"):
                    api = "anthropic"
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                headers = {key.lower(): value for key, value in self.headers.items()}
                request = Request(api, self.path, body, headers)
                reply = server._next(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.raw_body is not None:
                    self._send_bytes(reply.status, reply.raw_body, reply.headers)
                elif reply.status != 200:
                    error = {"type": "error", "error": {"message": reply.error_message}}
                    self._send(reply.status, error, reply.headers)
                else:
                    if reply.usage:
                        with server._lock:
                            server.reported_in += reply.tokens_in
                            server.reported_out += reply.tokens_out
                    self._send(200, _answer(api, body, reply))

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None):
                self._send_bytes(status, json.dumps(payload).encode(), headers or {})

            def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        return Handler


def _answer(api: str, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    model = body.get("model", "fake")
    if api == "openai":
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": reply.tokens_in,
                "completion_tokens": reply.tokens_out,
                "total_tokens": reply.tokens_in + reply.tokens_out,
            }
            if reply.usage
            else None,
        }
    stop = {"stop": "end_turn", "length": "max_tokens"}.get(reply.finish_reason, "end_turn")
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.tokens_in, "output_tokens": reply.tokens_out}
        if reply.usage
        else None,
    }
