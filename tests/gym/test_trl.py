"""The TRL adapter: its tools are native tool calls of a ReAct episode, its reward is airlab's,
and TRL's own GRPOTrainer runs through it to the first optimizer step on a tiny model."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium")

from airlab.errors import ConfigError
from airlab.gym.env import AirlabEnv
from airlab.gym.trl import (
    AirlabTrlAnswerEnv,
    AirlabTrlEnv,
    airlab_reward,
    environment_factory,
    prompt_row,
)
from airlab.testing.chat_run import SOLUTION

pytestmark = pytest.mark.slow
LIMITS = {"time_s": 60}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A working draft of digits to improve (the templates backend's)."""
    env = AirlabEnv("digits", operator="improve", runs_dir=tmp_path_factory.mktemp("root"))
    start = env.root()
    env.close()
    return start


def test_tools_are_native_calls_and_submit_is_graded(root, tmp_path):
    factory = environment_factory(runs_dir=tmp_path, limits=LIMITS)
    env = factory()
    with pytest.raises(ConfigError, match="reset"):
        env.shell("ls")
    prompt = env.reset(**prompt_row(root, system="S", task="digits"))
    assert "solution.py" in prompt
    assert "submission.csv" in env.read_file("solution.py")  # the parent's code
    assert env.write_file("solution.py", SOLUTION.format(c=0.5)).startswith("wrote solution.py")
    assert env.shell("python solution.py").startswith("exit code 0")
    assert "right format" in env.check_submission()
    assert env.submit("Logistic regression, C=0.5.").startswith("submitted")
    assert env.shell("ls").startswith("the episode is over")
    [reward] = airlab_reward([[{"role": "assistant", "content": "done"}]], environments=[env])
    node = env._env.search.journal.get(env._outcome[1]["node_id"])
    assert node.status.value == "good" and "C=0.5" in node.code
    assert node.meta["react"]["tools"] == "native" and node.meta["react"]["turns"] == 5
    assert reward == env._outcome[0] and -0.5 <= reward <= 1.0


def test_the_reward_grades_a_code_answer_or_the_unchanged_folder(root, tmp_path):
    factory = environment_factory(runs_dir=tmp_path, limits=LIMITS)
    envs = [factory(), factory(), factory()]
    for env in envs:
        env.reset(**prompt_row(root, system="S", task="digits"))
    answers = [
        f"Better:\n```python\n{SOLUTION.format(c=2.0)}```",  # a single-step answer
        "no code at all",  # the parent's solution.py, unchanged
        "```python\nraise SystemExit(3)\n```",  # a crash
    ]
    rewards = airlab_reward(answers, environments=envs)
    statuses = [env._outcome[1]["status"] for env in envs]
    assert statuses[0] == "good" and rewards[0] > -1.0
    assert rewards[1] == 0.0 and envs[1]._outcome[1]["failure"] == "unchanged"
    assert rewards[2] == -1.0 and statuses[2] == "buggy"
    with pytest.raises(ConfigError, match="environment_factory"):
        airlab_reward(answers)


def test_the_answer_env_has_no_tools_and_grades_the_reply(root, tmp_path):
    factory = environment_factory(runs_dir=tmp_path, limits=LIMITS, tools=False)
    envs = [factory(), factory()]
    assert isinstance(envs[0], AirlabTrlAnswerEnv) and not hasattr(envs[0], "shell")
    prompts = [env.reset(**prompt_row(root, system="S", task="digits")) for env in envs]
    assert prompts[0] == prompts[1] and "```python" in prompts[0]  # the operator's prompt
    answers = [f"Plan: C=2.\n```python\n{SOLUTION.format(c=2.0)}```", "nothing"]
    rewards = airlab_reward([[{"role": "assistant", "content": a}] for a in answers], envs)
    assert envs[0]._outcome[1]["status"] == "good" and rewards[0] > -1.0
    assert rewards[1] == -1.0 and envs[1]._outcome[1]["failure"] == "no_code"


def test_the_answer_env_takes_diff_answers_against_the_parent(root, tmp_path):
    factory = environment_factory(runs_dir=tmp_path, limits=LIMITS, tools=False, edit_format="diff")
    env = factory()
    prompt = env.reset(**prompt_row(root, system="S", task="digits"))
    assert "SEARCH/REPLACE blocks against the script above" in prompt
    parent_code = env._require().proposal.context.parents[0].code
    line = next(x for x in parent_code.splitlines() if x.strip())
    answer = f"Plan: the same.\n<<<<<<< SEARCH\n{line}\n=======\n{line}  # kept\n>>>>>>> REPLACE"
    rewards = airlab_reward([answer], [env])
    node = env._require().search.journal.get(env._outcome[1]["node_id"])
    assert node.meta["edit"]["outcome"] == "applied" and node.code.count("# kept") == 1
    assert rewards[0] > -1.0
    with pytest.raises(ConfigError, match="tools=False"):
        environment_factory(runs_dir=tmp_path, edit_format="diff")()


def tiny_tokenizer():
    """A byte-level BPE tokenizer built here (no download) with a tool-calling ChatML template."""
    tokenizers = pytest.importorskip("tokenizers")
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen2_5_chat_template

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    model = tokenizers.models.BPE()
    tok = tokenizers.Tokenizer(model)
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=special,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [qwen2_5_chat_template, SOLUTION, "tool_call function name arguments python"]
    tok.train_from_iterator(corpus * 3, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=special[1:],
    )
    fast.chat_template = qwen2_5_chat_template
    fast.padding_side = "left"
    return fast


def test_trl_grpo_runs_through_the_adapter_to_an_optimizer_step(root, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=8192,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = Qwen2ForCausalLM(config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    graded: list[float] = []

    def airlab(completions, environments, **kwargs):
        rewards = airlab_reward(completions, environments=environments, **kwargs)
        graded.extend(rewards)
        return rewards

    def length(completions, **_):  # so that the group's advantages differ from zero
        return [len(str(c)) / 100 for c in completions]

    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[airlab, length],
        args=GRPOConfig(
            output_dir=str(tmp_path / "trl"),
            max_steps=1,
            per_device_train_batch_size=2,
            num_generations=2,
            max_completion_length=8,
            learning_rate=1e-2,
            beta=0.0,
            report_to=[],
            use_cpu=True,
            save_strategy="no",
            logging_steps=1,
        ),
        train_dataset=Dataset.from_list([prompt_row(root, system="Improve it.", task="digits")]),
        environment_factory=environment_factory(
            runs_dir=tmp_path / "runs", limits=LIMITS, render=lambda obs: obs["operator"]
        ),
    )
    trainer.train()
    assert len(graded) == 2 and all(r in (0.0, -1.0) or -0.5 <= r <= 1 for r in graded)
    assert trainer.state.global_step == 1
    changed = [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]
    assert changed  # the optimizer step moved the weights
    tools = {t.__name__ for t in trainer.tools}
    assert tools == {"shell", "read_file", "write_file", "edit_file", "check_submission", "submit"}
    assert isinstance(trainer.environments[0], AirlabTrlEnv)
