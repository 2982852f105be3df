"""The environment: Gymnasium's own checker, rewards, no hidden score in what it returns, and a
reset from a node of a real journal that reproduces the prompt that node was written from."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from airlab.errors import ConfigError
from airlab.gym import RewardSpec, StartState, attempt_reward, make
from airlab.journal import Journal
from airlab.tasks import resolve_task
from airlab.testing.chat_run import answer, llm_run

pytestmark = pytest.mark.slow
SENTINEL = 0.123456789


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    root = llm_run(tmp_path_factory.mktemp("runs"), steps=3)
    with Journal.open(root / "journal.sqlite") as journal:
        for node in journal.nodes():  # a hidden score no observation may ever show
            journal.update(node.id, select_score=SENTINEL, test_score=SENTINEL)
    return root


def recorded_prompts(run_dir):
    prompts = {}
    for line in (run_dir / "llm_calls.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["node_id"] is not None and not record["purpose"].endswith("reminder"):
            prompts.setdefault(record["node_id"], record["messages"])
    return prompts


def test_check_env_passes(tmp_path):
    env = make("digits", operator="improve", runs_dir=tmp_path)
    check_env(env, skip_render_check=True)
    env.close()


def test_gymnasium_make_builds_it_by_id(tmp_path):
    import gymnasium

    from airlab.gym.env import ENV_ID, AirlabEnv

    env = gymnasium.make(ENV_ID, task="digits", operator="draft", runs_dir=tmp_path)
    obs, _ = env.reset(seed=1)
    assert isinstance(env.unwrapped, AirlabEnv) and obs["operator"] == "draft"
    assert obs["parent"] == "" and env.observation_space.contains(obs)
    env.close()


def test_reset_from_a_journal_node_reproduces_its_prompt(source_run, tmp_path):
    prompts = recorded_prompts(source_run)
    assert set(prompts) == {0, 1, 2}
    env = make("digits", runs_dir=tmp_path)
    for node_id, recorded in prompts.items():
        obs, info = env.reset(options={"start": (source_run, node_id)})
        assert [m["content"] for m in recorded] == [obs["system"], obs["user"]]
        assert env.messages() == recorded
        assert info["next_node_id"] == node_id
    with Journal.open(source_run / "journal.sqlite", read_only=True) as journal:
        assert journal.get(2).operator == "improve" and obs["operator"] == "improve"
        assert json.loads(obs["parent"])["id"] == journal.get(2).parent_ids[0]


def test_a_step_is_graded_on_search_and_rewarded_against_its_parent(source_run, tmp_path):
    env = make("digits", runs_dir=tmp_path, max_steps=2)
    env.reset(options={"start": (source_run, 2)})
    parent = env.search.journal.get(env.proposal.node.parent_ids[0])
    obs, reward, terminated, truncated, info = env.step(answer(5.0))
    assert info["status"] == "good" and info["parent_score"] == parent.search_score
    spec = resolve_task("digits").spec
    assert reward == pytest.approx(
        attempt_reward(spec, parent.search_score, info["search_score"], RewardSpec())
    )
    assert (terminated, truncated) == (False, False)
    assert obs["operator"] == "improve" and json.loads(obs["parent"])["id"] == info["node_id"]
    # info describes the graded node; next_* the step the observation poses, as at reset
    graded = env.search.journal.get(info["node_id"])
    assert info["operator"] == graded.operator and info["steps"] == 1
    assert info["next_node_id"] == env.proposal.node.id != info["node_id"]
    assert info["next_operator"] == obs["operator"]
    env.max_steps = 3
    again = env.step("no code at all")
    assert (again[1], again[3], again[4]["failure"]) == (-1.0, False, "no_code")
    assert again[0]["parent"] == obs["parent"]  # nothing to debug: the same step again
    obs, reward, _, truncated, info = env.step("no code either")
    assert (reward, truncated, info["failure"]) == (-1.0, True, "no_code")
    assert env.search.journal.get(info["node_id"]).status == "buggy"
    assert info["next_node_id"] is None and info["next_operator"] is None


def test_no_hidden_score_reaches_observation_or_info(source_run, tmp_path):
    env = make("digits", runs_dir=tmp_path, max_steps=3)
    seen = [env.reset(options={"start": (source_run, 1), "continue": True})]
    for c in (2.0, 3.0):
        seen.append(env.step(answer(c)))
    text = json.dumps(seen, default=str)
    assert str(SENTINEL) not in text
    assert "select_score" not in text and "test_score" not in text
    fork = env.search.journal
    assert all(n.select_score is None for n in fork.nodes() if n.id <= 1)  # never copied


def test_continue_starts_from_the_node_and_leaves_the_source_alone(source_run, tmp_path):
    before = (source_run / "journal.sqlite").read_bytes()
    env = make("digits", runs_dir=tmp_path)
    obs, info = env.reset(options={"start": (source_run, 2), "continue": True})
    assert json.loads(obs["parent"])["id"] == 2 and info["next_node_id"] == 3
    env.step(answer(0.7))
    assert (source_run / "journal.sqlite").read_bytes() == before
    assert env.run_dir.parent == tmp_path


def test_every_episode_runs_in_the_environments_one_sandbox(source_run, tmp_path):
    """A warm sandbox's interpreter is started once for the environment, not per episode: two
    forks of another run's nodes (a run made in the default sandbox) and an episode from the
    environment's own root draft."""
    env = make("digits", runs_dir=tmp_path, max_steps=1, sandbox="warm")
    zygotes = []
    for options in ({"start": (source_run, 2)}, None, {"start": (source_run, 1)}):
        env.reset(options=options)
        assert env.search.sandbox is env.sandbox and env.search.config.sandbox == "warm"
        _, _, _, _, info = env.step(answer(5.0))
        assert info["status"] == "good"
        zygotes.append(tuple(env.sandbox.zygote_pids()))
    assert len(zygotes[0]) == 1 and len(set(zygotes)) == 1
    env.close()
    assert env.sandbox.zygote_pids() == []


def test_bad_start_and_missing_gymnasium_are_one_line_errors(source_run, tmp_path, monkeypatch):
    env = make("digits", runs_dir=tmp_path)
    with pytest.raises(ConfigError, match="expected \\(run_dir, node_id\\)"):
        env.reset(options={"start": "nowhere"})
    with pytest.raises(ConfigError, match="no node 99"):
        env.reset(options={"start": (source_run, 99)})
    with pytest.raises(ConfigError, match="not a run folder"):
        env.reset(options={"start": (tmp_path, 0)})
    with pytest.raises(ConfigError, match="operator must be"):
        make("digits", operator="crossover")
    with pytest.raises(ConfigError, match="edit_format=diff is for single answers"):
        make("digits", operator_options={"edit_format": "diff", "mode": "react"})
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    from airlab.gym._deps import gymnasium

    with pytest.raises(ConfigError, match=r"airlab\[gym\]"):
        gymnasium()


def test_reward_is_normalised_by_the_task_headroom():
    spec = resolve_task("digits").spec  # baseline 0.97, reference 0.983333
    headroom = spec.reference.score - spec.baseline.score
    rewards = RewardSpec(clip=10)
    assert attempt_reward(spec, 0.95, 0.95 + headroom / 2, rewards) == pytest.approx(0.5)
    assert attempt_reward(spec, None, spec.baseline.score, rewards) == 0.0
    # a working answer far worse is floored at −worse_floor (−0.5), above a failure's −1
    assert attempt_reward(spec, 0.9, 0.5, RewardSpec()) == -0.5
    assert attempt_reward(spec, 0.9, None, RewardSpec(failure_penalty=2)) == -2.0
    minimise = spec.model_copy(update={"direction": "minimize"})
    assert attempt_reward(minimise, 0.95, 0.95 - headroom, rewards) == pytest.approx(1.0)


def test_start_state_parses_pairs(tmp_path):
    assert StartState.parse((str(tmp_path), "3")).node_id == 3


def _block(search: str, replace: str) -> str:
    return f"Plan: another C.\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_diff_answers_are_applied_to_the_parent_or_fail_with_the_reason(source_run, tmp_path):
    """Under edit_format=diff the prompt asks for SEARCH/REPLACE blocks (a few lines instead of
    the whole script: a short completion for a trainer); they are applied to the parent. Blocks
    that do not apply fail the step, with the reason; a whole script is taken as it is."""
    env = make(
        "digits", runs_dir=tmp_path, max_steps=4, operator_options={"edit_format": "diff"}
    )
    obs, _ = env.reset(options={"start": (source_run, 2), "continue": True})
    assert "SEARCH/REPLACE blocks against the script above" in obs["user"]
    assert "# the whole script" not in obs["user"]
    parent = json.loads(obs["parent"])
    parent_code = env.search.journal.get(parent["id"]).code
    line = next(x for x in parent_code.splitlines() if "C=" in x)
    changed = line.replace("C=", "C=0.5 * ")  # still a valid call: C=0.5 * <old C>
    _, _, _, _, info = env.step(_block(line, changed))
    node = env.search.journal.get(info["node_id"])
    assert info["status"] == "good" and node.meta["edit"]["outcome"] == "applied"
    assert node.code == parent_code.replace(line, changed)
    _, reward, _, _, info = env.step(_block("model = NotInTheScript()", "x = 1"))
    node = env.search.journal.get(info["node_id"])
    assert (reward, info["failure"]) == (-1.0, "no_code")
    assert "do not apply (not_found" in node.error
    _, _, _, _, info = env.step(answer(0.9))  # a whole script instead of blocks
    node = env.search.journal.get(info["node_id"])
    assert info["status"] == "good" and node.meta["edit"]["outcome"] == "whole_answer"
