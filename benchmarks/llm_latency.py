"""Execution utilisation while models think: a fake OpenAI server answers after L seconds.

    python benchmarks/llm_latency.py --latency 0,5,30 --exec 10 --workers 2 --steps 24

Each row is one real run (greedy policy, chat-model operators with analysis, sandbox, grader,
journal) against a local server on 127.0.0.1 that answers every call after L seconds with a
script that sleeps `--exec` seconds and submits the sample. Side by side for each L: model calls
in flight adapted to the observed latencies (airlab's default) and fixed at 2 x workers.

Reported per row: execution utilisation (the candidates' own run time, as the sandbox measured
it, over workers x the time from the first candidate started to the last one finished), calls
made, tokens the server reported and tokens in result.json (they must be equal), wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from throughput import make_task  # the same tiny task as the pool benchmark

from airlab.runner import Run, RunConfig
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request

ANSWER = """Plan: wait {exec_s} s (a stand-in for training), then submit the sample.

```python
# call {index}
import shutil, time
time.sleep({exec_s})
shutil.copy("public/sample_submission.csv", "submission.csv")
print("self_reported_score: 0.5")
```
"""


class SlowModel:
    """Answers every call after `latency_s`: writes get a sleeping script, analyses a line."""

    def __init__(self, latency_s: float, exec_s: float) -> None:
        self.latency_s = latency_s
        self.exec_s = exec_s
        self.calls = 0

    def __call__(self, request: Request) -> Reply:
        self.calls += 1
        if "Reply with the single word OK" in request.prompt:
            return Reply(text="OK", tokens_in=12, tokens_out=1)
        if "has run." in request.last_user.split("\n", 1)[0]:
            text = "It slept and submitted the sample."
            return Reply(text=text, delay_s=self.latency_s, tokens_in=900, tokens_out=30)
        text = ANSWER.format(exec_s=self.exec_s, index=self.calls)
        return Reply(text=text, delay_s=self.latency_s, tokens_in=1500, tokens_out=120)


@dataclass
class Row:
    latency_s: float
    concurrency: str
    steps: int
    utilisation: float
    calls: int
    server_tokens: int
    result_tokens: int
    wall_s: float


def measure(
    latency_s: float, exec_s: float, workers: int, steps: int, fixed: int | None, root: Path
) -> Row:
    model = SlowModel(latency_s, exec_s)
    with FakeLLMServer(model) as server:
        config = RunConfig.model_validate(
            {
                "task": str(root / "task"),
                "backend": f"openai-compatible/fake-model@{server.openai_url}",
                "backend_options": {"timeout_s": 600},
                "budget": {"steps": steps},
                "workers": workers,
                "llm_concurrency": fixed,
                "limits": {"time_s": exec_s * 6 + 30},
                "runs_dir": str(root / "runs"),
                "run_name": f"L{latency_s:g}-{fixed or 'auto'}",
            }
        )
        began = time.time()
        run = Run.create(config)
        result = run.execute()
        wall = time.time() - began
        nodes = [n for n in run.journal.nodes() if n.started_at and n.finished_at]
        first = min(n.started_at for n in nodes if n.started_at)
        last = max(n.finished_at for n in nodes if n.finished_at)
        busy = sum(n.exec_seconds or 0.0 for n in nodes)
        return Row(
            latency_s=latency_s,
            concurrency="adaptive" if fixed is None else f"fixed {fixed}",
            steps=result.nodes,
            utilisation=busy / (workers * (last - first)),
            calls=result.llm_calls,
            server_tokens=server.reported_in + server.reported_out,
            result_tokens=result.tokens_in + result.tokens_out,
            wall_s=wall,
        )


def table(rows: list[Row], exec_s: float, workers: int) -> str:
    lines = [
        f"executions sleep {exec_s:g} s on {workers} workers; every call answers after L s",
        "",
        "| L (s) | model calls in flight | steps | execution utilisation | calls | "
        "tokens the server reported | tokens in result.json | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.latency_s:g} | {r.concurrency} | {r.steps} | {r.utilisation:.1%} | {r.calls} "
            f"| {r.server_tokens:,} | {r.result_tokens:,} | {r.wall_s:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", default="0,5,30", help="seconds per model answer, a list")
    parser.add_argument("--exec", dest="exec_s", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument(
        "--fixed", default="", help="also measure these fixed concurrencies (default 2 x workers)"
    )
    args = parser.parse_args(argv)
    latencies = [float(x) for x in args.latency.split(",") if x]
    fixed = [int(x) for x in args.fixed.split(",") if x] or [2 * args.workers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="airlab-llm-bench-") as tmp:
        root = Path(tmp)
        make_task(root / "task")
        for latency in latencies:
            for concurrency in [None, *fixed]:
                row = measure(latency, args.exec_s, args.workers, args.steps, concurrency, root)
                rows.append(row)
                print(
                    f"L={latency:g} {row.concurrency}: utilisation {row.utilisation:.1%}, "
                    f"{row.calls} calls, {row.wall_s:.0f} s",
                    file=sys.stderr,
                )
    print(table(rows, args.exec_s, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
