"""A tiny local server that speaks the OpenAI chat-completions and Anthropic messages wire
formats, so the tests go through the real SDK clients with no network.

Replies come from a script (a queue of `Reply`) and, when it is empty, from a responder function
of the request. A reply may be an error status with headers (429 + Retry-After, 500) and the
error body's type and code, a raw body that is not JSON, a delay longer than the client's timeout,
plain text, no text at all (`content: null`), or tool calls. `FAILURES` holds the providers'
documented failures as replies. Usage may
report cached, cache-written and reasoning tokens as each API does; a request with `stream`
gets server-sent events (OpenAI's chunks with a final usage chunk, Anthropic's event sequence).
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
    error_type: str = ""
    """The error body's `type` (`invalid_request_error`, `insufficient_quota`, …); "" for none."""
    error_code: str | int | None = None
    """The error body's `code` (`model_not_found`, 402, …)."""
    content_null: bool = False
    """No text at all: OpenAI's `content: null`, Anthropic's empty `content` list."""
    refusal: str = ""
    """OpenAI's `message.refusal` (a structured-output refusal), sent when set."""
    usage: bool = True
    """False: the answer has no usage block (as some servers send)."""
    cached_in: int = 0
    """Of `tokens_in`, read from the prompt cache."""
    cache_write_in: int = 0
    """Of `tokens_in`, written to the prompt cache (Anthropic)."""
    reasoning_out: int = 0
    """Of `tokens_out`, spent thinking (OpenAI)."""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(tool name, arguments) of each tool call in the answer, in order."""


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
        parts = [text_of(self.body.get("system", ""))]
        parts += [text_of(m.get("content", "")) for m in self.body.get("messages", [])]
        return "\n".join(parts)

    @property
    def last_user(self) -> str:
        users = [m for m in self.body.get("messages", []) if m.get("role") == "user"]
        return text_of(users[-1]["content"]) if users else ""


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or content blocks (Anthropic)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                inner = block.get("text", block.get("content", ""))
                parts.append(text_of(inner))
        return "".join(parts)
    return "" if content is None else str(content)


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
        shown = host.decode() if isinstance(host, bytes) else host
        return f"http://{shown}:{port}"

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
                    self._send(reply.status, _error_body(api, reply), reply.headers)
                else:
                    if reply.usage:
                        with server._lock:
                            server.reported_in += reply.tokens_in
                            server.reported_out += reply.tokens_out
                    answer = _answer(api, body, reply)
                    if body.get("stream"):
                        self._send_events(_events(api, answer, body))
                    else:
                        self._send(200, answer)

            def _send_events(self, events: list[tuple[str | None, Any]]) -> None:
                try:
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for name, data in events:
                        head = f"event: {name}\n" if name else ""
                        payload = data if isinstance(data, str) else json.dumps(data)
                        self.wfile.write(f"{head}data: {payload}\n\n".encode())
                        self.wfile.flush()
                    self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

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


def _error_body(api: str, reply: Reply) -> dict[str, Any]:
    """An error as each API shapes it: OpenAI's (and OpenRouter's) `{"error": {message, type,
    code}}`, Anthropic's `{"type": "error", "error": {type, message}}`."""
    error: dict[str, Any] = {"message": reply.error_message}
    if reply.error_type:
        error["type"] = reply.error_type
    if api == "openai" and reply.error_code is not None:
        error["code"] = reply.error_code
    return {"type": "error", "error": error} if api == "anthropic" else {"error": error}


def _answer(api: str, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    model = body.get("model", "fake")
    if api == "openai":
        content = None if reply.content_null else reply.text
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reply.refusal:
            message["refusal"] = reply.refusal
        finish = reply.finish_reason
        if reply.tool_calls:
            message["content"] = reply.text or None
            message["tool_calls"] = [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for n, (name, arguments) in enumerate(reply.tool_calls)
            ]
            finish = "tool_calls" if finish == "stop" else finish
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": reply.tokens_in,
                "completion_tokens": reply.tokens_out,
                "total_tokens": reply.tokens_in + reply.tokens_out,
                "prompt_tokens_details": {"cached_tokens": reply.cached_in},
                "completion_tokens_details": {"reasoning_tokens": reply.reasoning_out},
            }
            if reply.usage
            else None,
        }
    stop = {"stop": "end_turn", "length": "max_tokens", "content_filter": "refusal"}.get(
        reply.finish_reason, "end_turn"
    )
    blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    for n, (name, arguments) in enumerate(reply.tool_calls):
        blocks.append({"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": arguments})
    if reply.tool_calls and stop == "end_turn":
        stop = "tool_use"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [] if reply.content_null else blocks or [{"type": "text", "text": ""}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": reply.tokens_in - reply.cached_in - reply.cache_write_in,
            "output_tokens": reply.tokens_out,
            "cache_read_input_tokens": reply.cached_in,
            "cache_creation_input_tokens": reply.cache_write_in,
        }
        if reply.usage
        else None,
    }


def _events(api: str, answer: dict[str, Any], body: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """A whole answer as the API streams it (text in two pieces to test the joining)."""
    if api == "openai":
        choice = answer["choices"][0]
        text = choice["message"]["content"] or ""
        head = {k: answer[k] for k in ("id", "created", "model")}
        head["object"] = "chat.completion.chunk"
        events: list[tuple[str | None, Any]] = []
        for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
            delta = {"role": "assistant", "content": piece}
            events.append((None, {**head, "choices": [{"index": 0, "delta": delta}]}))
        for index, call in enumerate(choice["message"].get("tool_calls") or ()):
            arguments = call["function"]["arguments"]
            first = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            pieces = [first] + [
                {"index": index, "function": {"arguments": part}}
                for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :])
            ]
            for piece in pieces:
                delta = {"tool_calls": [piece]}
                events.append((None, {**head, "choices": [{"index": 0, "delta": delta}]}))
        end = {"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}
        events.append((None, {**head, "choices": [end]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((None, {**head, "choices": [], "usage": answer["usage"]}))
        events.append((None, "[DONE]"))
        return events
    usage = answer["usage"] or {"input_tokens": 0, "output_tokens": 0}
    start = {**answer, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(answer["content"]):
        if block["type"] == "tool_use":
            opened = {**block, "input": {}}
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": opened},
                )
            )
            partial = json.dumps(block["input"])
            for piece in (partial[: len(partial) // 2], partial[len(partial) // 2 :]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append(
                    (
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": delta},
                    )
                )
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
            continue
        empty = {"type": "text", "text": ""}
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": empty},
            )
        )
        text = block["text"]
        for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
            delta = {"type": "text_delta", "text": piece}
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = {"stop_reason": answer["stop_reason"], "stop_sequence": None}
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": stop,
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


FAILURES: dict[str, Reply] = {
    "invalid_model": Reply(
        status=400, error_message="fake/nonesuch is not a valid model ID", error_code=400
    ),
    "model_not_found": Reply(
        status=404,
        error_type="invalid_request_error",
        error_code="model_not_found",
        error_message="The model `nonesuch` does not exist or you do not have access to it.",
    ),
    "credits": Reply(status=402, error_message="Insufficient credits.", error_code=402),
    "insufficient_quota": Reply(
        status=429,
        error_type="insufficient_quota",
        error_code="insufficient_quota",
        error_message="You exceeded your current quota, please check your plan and billing.",
    ),
    "credit_balance": Reply(
        status=400,
        error_type="invalid_request_error",
        error_message="Your credit balance is too low to access the API.",
    ),
    "bad_key": Reply(
        status=401, error_type="authentication_error", error_message="invalid x-api-key"
    ),
    "rate_limit": Reply(
        status=429,
        headers={"retry-after": "0"},
        error_type="rate_limit_error",
        error_code="rate_limit_exceeded",
        error_message="Rate limit reached for requests",
    ),
    "overloaded": Reply(status=503, error_message="The engine is currently overloaded"),
    "content_filter": Reply(
        content_null=True, finish_reason="content_filter", tokens_in=1234, tokens_out=7
    ),
    "null_content": Reply(content_null=True, tokens_in=321, tokens_out=3),
    "no_usage": Reply(text="Hello.", usage=False),
}
"""The providers' documented failures, as a fake server sends them (see
`airlab.backends.llm.failures` for where each comes from)."""
