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


def test_a_call_the_client_abandons_is_counted_as_served_but_not_delivered():
    """The server answers (and bills) a call the client gave up on: the proxy still counts it,
    marked undelivered, so the benchmark can say its usage is unknown to the client."""
    import time

    with FakeLLMServer() as server:
        server.push(
            Reply(text="late", tokens_in=50, tokens_out=5, delay_s=1.5),
            Reply(text="on time", tokens_in=40, tokens_out=4),
        )
        proxy = CountingProxy(server.url)
        with proxy.serving() as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="local", max_retries=0)
            messages = [{"role": "user", "content": "hi"}]
            proxy.label = "run"
            with pytest.raises(openai.APITimeoutError):
                client.chat.completions.create(model="m", messages=messages, timeout=0.3)
            for _ in range(100):  # the proxy records the call when the server has answered
                if proxy.calls:
                    break
                time.sleep(0.05)
            answer = client.chat.completions.create(model="m", messages=messages)
            assert answer.choices[0].message.content == "on time"
    late, on_time = proxy.served("run")
    assert (late.prompt_tokens, late.delivered) == (50, False)
    assert (on_time.prompt_tokens, on_time.delivered) == (40, True)


def test_the_wheel_is_found_where_the_docs_say_and_a_named_one_must_exist(tmp_path, monkeypatch):
    import local_runtime
    from local_runtime import LLAMA_VERSION, find_wheel

    monkeypatch.setattr(local_runtime, "REPO", tmp_path / "repo")
    assert find_wheel(environ={}) is None
    in_repo = tmp_path / "repo" / "wheels" / f"llama_cpp_python-{LLAMA_VERSION}-py3-none-x.whl"
    in_repo.parent.mkdir(parents=True)
    in_repo.write_bytes(b"")
    assert find_wheel(environ={}) == in_repo
    elsewhere = tmp_path / "mine" / in_repo.name
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"")
    assert find_wheel(environ={"AIRLAB_WHEELS": str(elsewhere.parent)}) == elsewhere
    assert find_wheel(elsewhere, environ={}) == elsewhere
    with pytest.raises(SystemExit, match="no such file"):
        find_wheel(tmp_path / "absent.whl", environ={})


def _python_without(tmp_path: Path) -> Path:
    """A 'python' whose every import fails, as a venv missing the package would."""
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: no module' >&2\nexit 1\n")
    fake.chmod(0o755)
    return fake


def test_airlab_without_its_llm_extra_stops_the_benchmark_in_one_line(tmp_path):
    from local_runtime import check_airlab_llm

    with pytest.raises(SystemExit, match=r"airlab\[llm\]"):
        check_airlab_llm(str(_python_without(tmp_path)))
    check_airlab_llm(sys.executable)  # the suite's own environment has it


def test_a_half_installed_aide_is_named_not_accepted(tmp_path):
    """A venv with some of AIDE's distributions but not aideml itself (an install cut short)."""
    from aide_peer import aide_problem

    problem = aide_problem(Path(sys.executable))
    assert problem is not None and "aideml" in problem
    assert aide_problem(_python_without(tmp_path)) is not None


def test_a_task_folder_anywhere_is_built_once_and_named_by_its_task(tmp_path, monkeypatch):
    """A folder given by an absolute path: its data is built into AIRLAB_HOME, and run names
    carry the task's name, never its path."""
    import local_model

    from airlab.tasks import TASKS
    from airlab.testing.tasks import write_tiny_task

    # the benchmark registers the folder it builds: keep that out of the other tests' registry
    monkeypatch.setattr(TASKS, "_items", dict(TASKS._items))
    monkeypatch.setattr(TASKS, "_params", dict(TASKS._params))
    ready = write_tiny_task(tmp_path / "deep" / "folder" / "ready", "ready-task")
    task = local_model.bench_task(str(ready))
    assert (task.label, task.ref) == ("ready-task", str(ready))
    assert "/" not in local_model.run_name(task, "greedy", 2)

    source = tmp_path / "src-task"
    source.mkdir()
    for name in ("task.yaml", "description.md"):
        (source / name).write_text((ready / name).read_text().replace("ready-task", "built"))
    (source / "prepare.py").write_text(
        "from airlab.testing.tasks import write_tiny_task\n"
        "def prepare(out_dir):\n"
        "    write_tiny_task(out_dir, 'built')\n"
    )
    built = local_model.bench_task(str(source))
    assert built.label == "built" and Path(built.ref).is_dir()
    assert (Path(built.ref) / "public" / "train.csv").is_file() and not (source / "public").exists()
    assert local_model.bench_task(str(source)) == built
    assert local_model.bench_task("breast-cancer") == local_model.BenchTask(
        "breast-cancer", "breast-cancer"
    )
    with pytest.raises(SystemExit, match="no-such-task"):
        local_model.bench_task("no-such-task")


def test_wilson_intervals_hold_the_rate_and_narrow_with_more_trials():
    from local_model import wilson

    for valid, nodes in [(0, 6), (1, 18), (9, 18), (18, 18), (3, 54)]:
        low, high = wilson(valid, nodes)
        assert 0.0 <= low <= valid / nodes <= high <= 1.0
    assert wilson(0, 6)[0] == 0.0 and wilson(0, 6)[1] > 0.3
    assert wilson(6, 6)[1] == 1.0 and wilson(6, 6)[0] < 0.7
    narrow, wide = wilson(30, 60), wilson(3, 6)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def _row(task: str, agent: str, valid: int, nodes: int = 6, **extra: object):
    from local_model import Row

    fields = dict(
        task=task, agent=agent, calls=12, nodes=nodes, valid=valid, best_search=None,
        final_test=None, served_in=100, served_out=10, recorded_in=100, recorded_out=10,
        wall_s=1.0,
    )  # fmt: skip
    return Row(**{**fields, **extra})


def test_the_summary_pools_repeats_per_cell_and_over_tasks():
    from local_model import summary

    rows = [
        _row("wine", "greedy", 3, repeat=0),
        _row("wine", "greedy", 0, repeat=1),
        _row("wine", "AIDE", 1),
        _row("grunfeld", "greedy", 6, abandoned=2),
    ]
    lines = summary(rows).splitlines()
    assert any(line.startswith("| wine | greedy | 2 | 24 | 3/12 = 25% [") for line in lines)
    assert any(line.startswith("| all | greedy | 3 | 36 | 9/18 = 50% [") for line in lines)
    assert any("| grunfeld | greedy |" in line and line.endswith("| 1/1 | 2 |") for line in lines)
    assert any(line.startswith("| all | AIDE | 1 |") for line in lines)


def test_valid_solutions_that_predict_a_constant_are_counted_apart():
    from local_model import summary

    rows = [
        _row("wine", "greedy", 5, constant=5, repeat=0),
        _row("wine", "greedy", 3, constant=0, repeat=1),
        _row("grunfeld", "greedy", 2),  # a row from before the count: not counted
    ]
    lines = summary(rows).splitlines()
    assert any(
        line.startswith("| wine | greedy | 2 | 24 | 8/12 = 67% [") and "| 3/12 = 25% [" in line
        for line in lines
    )
    assert any(line.startswith("| grunfeld |") and "| not counted |" in line for line in lines)


def test_a_submission_of_one_value_per_target_is_constant():
    from check_replay import is_constant

    assert is_constant(b"id,y\n1,0.5\n2,0.5\n", ("y",))
    assert not is_constant(b"id,y\n1,0.5\n2,0.4\n", ("y",))
    assert not is_constant(None, ("y",)) and not is_constant(b"id,z\n1,1\n", ("y",))


def test_calls_of_unknown_usage_are_read_from_the_runs_call_log(tmp_path):
    import json

    from local_model import unknown_usage

    calls = [
        {"response": {"usage_reported": True}},
        {"response": {"usage_reported": False, "abandoned": 1}},
        {"response": {"usage_reported": False}},
        {"error": "boom", "response": None},
    ]
    (tmp_path / "llm_calls.jsonl").write_text("\n".join(json.dumps(c) for c in calls) + "\n")
    assert unknown_usage(tmp_path) == 2
    assert unknown_usage(tmp_path / "absent") == 0


def test_each_kind_of_step_is_tallied_with_its_valid_nodes_across_runs(tmp_path):
    from local_model import _airlab_runs, step_yield

    from airlab.journal import Journal, NodeStatus

    steps = [  # (operator, parent, debug depth, status, failure)
        ("draft", None, 0, NodeStatus.GOOD, None),
        ("draft", None, 0, NodeStatus.BUGGY, "error"),
        ("debug", 1, 1, NodeStatus.BUGGY, "check_failed"),
        ("debug", 2, 2, NodeStatus.GOOD, None),
        ("improve", 0, 0, NodeStatus.GOOD, None),
        ("draft", None, 0, NodeStatus.BUGGY, "backend"),  # a dead server: not the model's
        ("improve", 0, 0, NodeStatus.PROPOSED, None),  # never finished
    ]
    for run in ("a", "b"):
        (tmp_path / "runs" / run).mkdir(parents=True)
        with Journal.create(tmp_path / "runs" / run / "journal.sqlite") as journal:
            for operator, parent, depth, status, failure in steps:
                parents = () if parent is None else (parent,)
                node = journal.add(operator, parents, debug_depth=depth)
                journal.update(node.id, status=status, failure=failure)
    (tmp_path / "runs" / "aide-run").mkdir()  # AIDE's folders have no journal
    runs = _airlab_runs([tmp_path / "runs", tmp_path / "absent"])
    assert [r.name for r in runs] == ["a", "b"]
    lines = step_yield(runs).splitlines()
    assert lines[2:] == [
        "| debug (depth 1) | 0/2 = 0% [0%, 66%] |",
        "| debug (depth 2) | 2/2 = 100% [34%, 100%] |",
        "| draft | 2/4 = 50% [15%, 85%] |",
        "| improve | 2/2 = 100% [34%, 100%] |",
    ]
