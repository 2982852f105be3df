"""Training datasets from real runs: prompts as recorded (or rendered exactly alike), SFT that
loads as a Hugging Face dataset, preference pairs from a gym group, RL steps, hold-out, dedup."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from airlab.cli import main
from airlab.errors import ConfigError
from airlab.gym.rollout import rollout_group
from airlab.gym.start import StartKind, StartState
from airlab.report.datasets import RunNodes, export_dataset
from airlab.report.prompts import recorded_calls, rendered_prompt, run_packages
from airlab.runner import Run, RunConfig
from airlab.runner.config import load_config
from airlab.testing.chat_run import answer, llm_run

pytestmark = pytest.mark.slow
CRASH = "Plan: fail.\n```python\nraise RuntimeError('boom')\n```\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    chat = llm_run(root, steps=3)
    group = rollout_group(
        StartState(chat, 0, StartKind.CONTINUE),
        lambda obs, k: [answer(2.0), CRASH, answer(0.01)],
        3,
        runs_dir=root,
        workers=2,
    )
    templates = Run.create(
        RunConfig.model_validate(
            {
                "task": "digits",
                "budget": {"steps": 3},
                "runs_dir": str(root),
                "policy_params": {"num_drafts": 2},
            }
        )
    )
    templates.execute()
    return {"chat": chat, "group": group.run_dir, "templates": templates.folder.root}


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rendered_prompts_equal_the_recorded_ones(runs):
    from airlab.journal import Journal

    with Journal.open(runs["chat"] / "journal.sqlite", read_only=True) as journal:
        nodes = journal.nodes()
        config = load_config(journal.get_meta("config"))
        packages = run_packages(journal.get_meta("packages"))  # the run's probe, in its prompts
    run = RunNodes.load(runs["chat"])
    calls = recorded_calls(runs["chat"])
    assert set(calls) == {0, 1, 2}
    for node in nodes:
        shown = rendered_prompt(config, run.task, nodes, node, packages=packages)
        assert shown == calls[node.id][0]


def test_sft_file_loads_as_a_hugging_face_dataset(runs, tmp_path):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "sft.jsonl"
    written = export_dataset("sft", [runs["chat"], runs["group"], runs["templates"]], out)
    records = read(out)
    assert written.records == len(records) > 0
    for record in records:
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        meta = record["metadata"]
        assert meta["search_score"] > meta["parent_score"]  # digits: higher is better
        assert "select_score" not in json.dumps(record) and "test_score" not in json.dumps(record)
    loaded = datasets.load_dataset("json", data_files=str(out), split="train")
    assert loaded.num_rows == len(records)
    assert loaded[0]["messages"][-1]["role"] == "assistant"


def test_preferences_from_a_group_share_their_prompt(runs, tmp_path):
    out = tmp_path / "prefs.jsonl"
    export_dataset("preferences", [runs["group"]], out)
    records = read(out)
    assert len(records) == 3  # 3 siblings: every pair is ranked (one failed, two scored)
    assert all(r["metadata"]["same_prompt"] for r in records)
    failed = [r for r in records if r["metadata"]["rejected_failure"] is not None]
    assert len(failed) == 2 and all("boom" in r["rejected"][0]["content"] for r in failed)
    for record in records:
        meta = record["metadata"]
        if meta["rejected_failure"] is None:
            assert meta["chosen_score"] > meta["rejected_score"]
        assert record["chosen"][0]["role"] == "assistant"
    export_dataset("preferences", [runs["group"]], out, style="openai")
    assert set(read(out)[0]) == {"input", "preferred_output", "non_preferred_output", "metadata"}


def test_preferences_pair_only_answers_to_one_prompt_unless_asked(runs, tmp_path):
    out = tmp_path / "prefs.jsonl"
    export_dataset("preferences", [runs["templates"]], out)
    same = read(out)
    assert all(r["metadata"]["same_prompt"] for r in same)
    export_dataset("preferences", [runs["templates"]], out, mixed_prompts=True)
    mixed = read(out)
    assert any(not r["metadata"]["same_prompt"] for r in mixed)  # the two drafts' prompts
    assert len(mixed) > len(same)


def test_rl_records_are_trl_prompt_completion_with_reward_and_group(runs, tmp_path):
    out = tmp_path / "rl.jsonl"
    export_dataset("rl", [runs["group"]], out)
    records = [r for r in read(out) if r["metadata"]["node_id"] > 0]  # the group's 3 answers
    assert len(records) == 3 and len({r["group_id"] for r in records}) == 1
    for record in records:
        assert [m["role"] for m in record["prompt"]] == ["system", "user"]
        assert record["completion"][0]["role"] == "assistant"
        assert record["prompt"] == record["observation"]
    rewards = sorted(r["reward"] for r in records)
    assert rewards[0] == -1.0 and rewards[0] < rewards[1] < rewards[2]  # crash < worse < better
    assert len({r["group_id"] for r in read(out)}) == 2  # the copied source node: its own


def test_the_formats_pass_trls_dataset_utilities(runs, tmp_path):
    data_utils = pytest.importorskip("trl.data_utils")
    for kind in ("rl", "preferences", "sft"):
        out = tmp_path / f"{kind}.jsonl"
        export_dataset(kind, [runs["group"], runs["chat"]], out, metadata=False)
        for record in read(out):
            if kind == "rl":
                record = {"prompt": record["prompt"], "completion": record["completion"]}
            assert data_utils.is_conversational(record)


def test_rl_steps_chain_to_the_next_prompt(runs, tmp_path):
    out = tmp_path / "rl.jsonl"
    export_dataset("rl", [runs["chat"]], out)
    steps = {r["metadata"]["node_id"]: r for r in read(out)}
    assert set(steps) == {0, 1, 2}
    assert steps[0]["next_observation"] == steps[1]["observation"] and not steps[0]["done"]
    assert steps[2]["done"] and steps[2]["next_observation"] is None
    assert all(-1.0 <= s["reward"] <= 1.0 for s in steps.values())


def test_dedup_hold_out_parquet_and_cli(runs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "rl.jsonl"
    once = export_dataset("rl", [runs["chat"]], out).records
    assert export_dataset("rl", [runs["chat"], runs["chat"]], out).records == once
    parent = runs["chat"].parent  # a folder of run folders: every run in it
    assert export_dataset("rl", [parent], out).records > once
    with pytest.raises(ConfigError, match="nor a folder of run folders"):
        export_dataset("rl", [tmp_path / "empty"], out)
    with pytest.raises(ConfigError, match="not a task of these runs"):
        export_dataset("rl", [runs["chat"]], out, hold_out_tasks=["nope"])
    written = export_dataset("rl", [runs["chat"]], out, hold_out_tasks=["digits"])
    assert written.records == 0 and written.held_out_records == once
    assert written.held_out_path == tmp_path / "rl.heldout.jsonl"
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    export_dataset("sft", [runs["templates"], runs["chat"]], tmp_path / "sft.parquet")
    assert "messages" in pq.read_table(tmp_path / "sft.parquet").column_names
    args = ["export", runs["chat"], runs["group"], "--to", "sft", "-o", tmp_path / "cli.jsonl"]
    monkeypatch.setattr(sys, "argv", ["airlab", *map(str, args), "--no-metadata"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code in (0, None)
    assert "sft record(s)" in capsys.readouterr().out
    assert set(read(tmp_path / "cli.jsonl")[0]) == {"messages"}
