"""The evolve benchmark's local-model arm: the options it hands `airlab evolve` make an LLM meta
agent (its first version named the backend without the server's URL and never ran), and asking
for it without a reachable server stops before any archive is grown."""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from airlab.cli.run_commands import parse_pairs
from airlab.evolve.loop import make_meta_agent
from airlab.evolve.meta_llm import LLMMeta
from evolve import meta_backend_arguments

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_local_meta_options_make_an_llm_meta_agent_at_the_served_url():
    arguments = meta_backend_arguments("qwen2.5-coder-1.5b-instruct", "http://127.0.0.1:9/v1")
    backend = arguments[arguments.index("--backend") + 1]
    options = parse_pairs(arguments[arguments.index("-B") + 1 :: 2], "-B")
    agent = make_meta_agent(backend, options)  # builds the client; calls nothing
    assert isinstance(agent, LLMMeta)
    assert "127.0.0.1:9/v1" in agent.model.describe()
    assert options["max_tokens"] == 1536


def test_local_meta_without_a_server_stops_before_any_archive(tmp_path):
    command = [sys.executable, str(BENCHMARKS / "evolve.py"), "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [*command, "--local-meta", "--base-url", "http://127.0.0.1:9/v1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        done.returncode != 0
        and "--base-url http://127.0.0.1:9: no OpenAI-compatible server answers" in done.stderr
    )
    assert not any((tmp_path / "out").glob("*-seed*"))
