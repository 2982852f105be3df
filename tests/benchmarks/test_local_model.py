"""The local-model benchmark's own parts: the proxy that counts what the server reports (the
ground truth each agent's accounting is held to), on plain and streamed answers and errors."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from local_runtime import CountingProxy, _usage

from airlab.testing.fake_llm import FakeLLMServer, Reply

openai = pytest.importorskip("openai")


def test_usage_is_read_from_json_and_from_a_streams_last_event():
    body = b'{"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}'
    assert _usage(body) == (12, 3)
    stream = (
        b'data: {"choices": [{"delta": {"content": "a"}}]}\n\n'
        b'data: {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}\n\n'
        b"data: [DONE]\n\n"
    )
    assert _usage(stream) == (7, 2)
    assert _usage(b"not json") == (0, 0)


def test_the_proxy_records_what_the_server_reported_under_the_current_label():
    with FakeLLMServer() as server:
        server.push(
            Reply(text="one", tokens_in=120, tokens_out=30),
            Reply(text="two", tokens_in=80, tokens_out=20),
            Reply(status=500, error_message="boom"),
        )
        proxy = CountingProxy(server.url)
        with proxy.serving() as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="local", max_retries=0)
            messages = [{"role": "user", "content": "hi"}]
            proxy.label = "first"
            answer = client.chat.completions.create(model="m", messages=messages)
            assert answer.choices[0].message.content == "one"
            proxy.label = "second"
            stream = client.chat.completions.create(
                model="m", messages=messages, stream=True, stream_options={"include_usage": True}
            )
            assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "two"
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(model="m", messages=messages)
    [first] = proxy.served("first")
    assert (first.prompt_tokens, first.completion_tokens, first.status) == (120, 30, 200)
    streamed, failed = proxy.served("second")
    assert (streamed.prompt_tokens, streamed.completion_tokens) == (80, 20)
    assert (failed.status, failed.prompt_tokens) == (500, 0)
    assert sum(c.prompt_tokens for c in proxy.calls) == server.reported_in
    assert sum(c.completion_tokens for c in proxy.calls) == server.reported_out


AIDE_RUN = Path(__file__).parent / "fixtures" / "aide-0.2.2-breast-cancer"
"""What aideml 0.2.2 wrote (journal.json, best_solution.py, config.yaml) on breast-cancer, driven
by Qwen2.5-Coder-1.5B through `benchmarks/local_model.py`, as it was written."""


def test_an_aide_journal_is_read_as_aide_wrote_it():
    from aide_peer import _read_journal

    nodes, chosen = _read_journal(AIDE_RUN)
    assert [n.step for n in nodes] == list(range(6))
    assert [n.parent is None for n in nodes] == [True] * 5 + [False]
    assert nodes[5].parent == nodes[4].id and all(n.buggy for n in nodes)
    assert chosen is not None and (AIDE_RUN / "best_solution.py").read_text() in {
        n.code for n in nodes
    }


@pytest.mark.slow
def test_aides_scripts_fail_or_work_in_airlabs_sandbox_as_they_did_under_aide(tmp_path):
    """The regrade runs each script as AIDE ran it (`./input`, `./working`): every node dies of
    the exception AIDE's own interpreter recorded for it."""
    import json

    from aide_peer import AideRun, _read_journal, regrade

    from airlab.journal import Journal

    nodes, chosen = _read_journal(AIDE_RUN)
    graded = regrade(AideRun(nodes, chosen, 0.0, AIDE_RUN), "breast-cancer", tmp_path)
    assert (graded.nodes, graded.valid, graded.chosen_test) == (6, 0, None)
    recorded = {
        n["id"]: n["exc_type"] for n in json.loads((AIDE_RUN / "journal.json").read_text())["nodes"]
    }
    with Journal.open(graded.run_dir / "journal.sqlite", read_only=True) as journal:
        regraded = journal.nodes()
    assert [n.operator for n in regraded] == ["draft"] * 5 + ["debug"]
    for aide_node, node in zip(nodes, regraded, strict=True):
        assert f"{recorded[aide_node.id]}:" in (node.error or ""), (node.id, node.error)
