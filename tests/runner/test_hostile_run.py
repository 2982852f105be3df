"""Hostile candidates inside a real run: each attack fails, and the run goes on to its end.

The sandbox suite (`tests/sandbox`) tries every attack against every sandbox in depth (the
network ones included); this checks the file, memory and process attacks through the runner,
with the paths a real run has.
"""

from __future__ import annotations

import textwrap
import uuid

import psutil
import pytest

from airlab.backends import Candidate, ProgramWriter, WriteRequest
from airlab.journal import Journal, NodeStatus
from airlab.runner import Run, RunConfig


class HostileBackend(ProgramWriter):
    """Writes the next attack for each step."""

    name = "hostile"

    def __init__(self, scripts: list[str]) -> None:
        self.scripts = scripts

    def write(self, request: WriteRequest) -> Candidate:
        return Candidate(plan="attack", code=self.scripts[request.node_id % len(self.scripts)])


def _attacks(run: Run, mark: str) -> list[str]:
    answers = run.task.private_dir / "answers.csv"
    sibling = run.folder.node_dir(0) / "solution.py"
    scripts = [
        # read the answers by absolute path, then by walking up from the workdir
        f"print(open({str(answers)!r}).read())",
        "import os\nfor up in range(1, 8):\n"
        "    p = os.path.join(*['..'] * up, 'private', 'answers.csv')\n"
        "    if os.path.exists(p):\n        print(open(p).read())\n"
        "raise SystemExit('nothing found')",
        # memory hog
        "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))",
        # a daemon that double-forks and calls setsid to outlive the run
        f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)',
                                          {mark!r}])
            os._exit(0)
        time.sleep(0.3)
        """,
        # tamper with the journal, another candidate's workdir, and the public data
        f"open({str(run.folder.journal)!r}, 'w').write('gone')",
        f"print(open({str(sibling)!r}).read())",
        "open('public/train.csv', 'w').write('poisoned')",
    ]
    return [textwrap.dedent(s).lstrip() + "\n" for s in scripts]


@pytest.mark.slow
def test_every_attack_fails_and_the_run_goes_on(make_task, tmp_path):
    mark = f"airlab-hostile-{uuid.uuid4().hex}"
    task = make_task()
    train_before = (task / "public" / "train.csv").read_bytes()
    config = RunConfig.model_validate(
        {
            "task": str(task),
            "budget": {"steps": 7},
            "workers": 2,
            "runs_dir": str(tmp_path / "runs"),
            "limits": {"time_s": 20, "memory_mb": 300},
            "policy_params": {"num_drafts": 7},
        }
    )
    run = Run.create(config)
    run.search.backend = HostileBackend(_attacks(run, mark))
    result = run.execute()

    assert result.nodes == 7
    nodes = run.journal.nodes()
    assert all(n.status == NodeStatus.BUGGY for n in nodes), [(n.id, n.error) for n in nodes]
    assert nodes[2].failure in ("memory", "error")  # killed, or MemoryError under RLIMIT_AS
    answers = (task / "private" / "answers.csv").read_text().splitlines()[1]
    for node in nodes:
        assert answers not in node.stdout_tail
    assert "answers.csv" not in nodes[5].stdout_tail  # node 0's code stays its own
    assert (task / "public" / "train.csv").read_bytes() == train_before
    with Journal.open(run.folder.journal) as journal:  # the journal is intact
        assert len(journal) == 7
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or [])]
    assert leftovers == []
