"""`airlab plans import|extract` and `airlab rubric discover` as a user meets them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from airlab.plans.rubric import load_rubric
from airlab.testing.fake_llm import FakeLLMServer, Reply


def airlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airlab", *args], capture_output=True, text=True, timeout=300
    )


def test_plans_import_writes_rpg_records_and_refuses_a_goalless_paperbench(tmp_path: Path) -> None:
    records = tmp_path / "ml.jsonl"
    records.write_text(
        json.dumps({"Goal": "Study X.", "Rubric": ["a", "b", "c"], "Reference solution": "r"})
    )
    result = airlab("plans", "import", str(records), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "1 plan task(s)" in result.stdout
    assert len(load_rubric(tmp_path / "out" / "plan-ml-001" / "private" / "rubric.yaml").items) == 3

    tree = tmp_path / "rubric.json"
    tree.write_text(json.dumps({"requirements": "r", "weight": 1, "sub_tasks": []}))
    result = airlab("plans", "import", str(tree), str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "needs --goal" in result.stderr


@pytest.mark.slow  # two subprocess starts and a fake server
def test_plans_extract_writes_what_it_can_and_names_the_paper_it_cannot(tmp_path: Path) -> None:
    good = {
        "goals": [
            {
                "title": "Rank choice",
                "goal": "Choose a rank.",
                "rubric": ["varies rank", "fixes compute", "uses seeds"],
                "reference": "The paper sweeps ranks.",
            }
        ]
    }

    def respond(request):  # the second paper gets a broken answer
        if "broken.md" in request.last_user:
            return Reply(text='```json\n{"goals": [{"title": 3\n```')
        return Reply(text="```json\n" + json.dumps(good) + "\n```")

    for name in ("fine.md", "broken.md"):
        (tmp_path / name).write_text(f"# {name}\nA paper about adapters.")
    with FakeLLMServer(respond) as server:
        result = airlab(
            "plans",
            "extract",
            str(tmp_path / "fine.md"),
            str(tmp_path / "broken.md"),
            "--out",
            str(tmp_path / "out"),
            "-b",
            f"openai-compatible/m@{server.openai_url}",
            "-B",
            "max_retries=0",
            "--judge",
            "none",
        )
    assert result.returncode == 2
    assert "broken.md: the model's answer is not valid JSON" in result.stdout
    assert "1 of 2 paper(s) gave no tasks" in result.stderr
    assert "2 calls" in result.stdout
    assert (tmp_path / "out" / "plan-rank-choice" / "private" / "reference.md").is_file()
    assert len((tmp_path / "out" / "llm_calls.jsonl").read_text().splitlines()) == 2


def test_rubric_discover_names_a_missing_outcome_column(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("text,citations\n" + "a paper,3\n" * 12)
    items = tmp_path / "items.txt"
    items.write_text("uses seeds\n")
    result = airlab(
        "rubric",
        "discover",
        str(corpus),
        "--outcome",
        "cites",
        "--items",
        str(items),
        "--out",
        str(tmp_path / "out"),
        "--judge",
        "offline",
    )
    assert result.returncode == 2
    assert "no outcome column 'cites'" in result.stderr
    assert "Traceback" not in result.stderr


class _MarkerJudge:
    """Stands in for the offline judge: an item is satisfied when the text holds its marker."""

    def judge(self, text, leaves, *, context=""):
        from airlab.plans.rubric import Verdict

        return [Verdict(item_id=leaf.id, value=float(f"[{leaf.text}]" in text)) for leaf in leaves]


def test_rubric_discover_writes_the_rubric_report_and_cache(tmp_path: Path, monkeypatch) -> None:
    import numpy as np
    from typer.testing import CliRunner

    import airlab.plans.judge
    from airlab.cli import app

    monkeypatch.setattr(airlab.plans.judge, "OfflineJudge", _MarkerJudge, raising=False)
    rng = np.random.default_rng(0)
    items = [f"item{k}" for k in range(6)]
    rows = ["text,citations"]
    for _ in range(40):
        has = rng.random(6) < 0.5
        text = "words " * int(rng.integers(50, 500)) + " ".join(
            f"[{t}]" for t, h in zip(items, has, strict=True) if h
        )
        rows.append(f'"{text}",{int(np.expm1(0.3 + 1.5 * has[1] + 1.0 * has[4]))}')
    (tmp_path / "corpus.csv").write_text("\n".join(rows))
    (tmp_path / "items.txt").write_text("\n".join(items))
    args = [
        "rubric",
        "discover",
        str(tmp_path / "corpus.csv"),
        "--outcome",
        "citations",
        "--items",
        str(tmp_path / "items.txt"),
        "--out",
        str(tmp_path / "out"),
        "--judge",
        "offline",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "length-only" in result.output and "uniform-weight" in result.output
    rubric = load_rubric(tmp_path / "out" / "rubric.yaml")
    assert [item.text for item in rubric.items][:2] == ["item1", "item4"]
    report = json.loads((tmp_path / "out" / "discovery.json").read_text())
    assert report["judge_calls"] == 40 and report["transform"] == "log1p"
    again = CliRunner().invoke(app, args)
    assert "judge calls this time: 0" in again.output  # every verdict came from the cache


def test_plans_faithful_exits_1_on_an_added_result(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from airlab.cli import app

    (tmp_path / "a.md").write_text("We test on 14 tables. Accuracy is 0.84.\n")
    (tmp_path / "b.md").write_text("Accuracy is 0.84 on the 14 tables we test.\n")
    (tmp_path / "c.md").write_text("We test on 14 tables. Accuracy is 0.84, and 0.91 on 3 more.\n")
    same = CliRunner().invoke(
        app, ["plans", "faithful", str(tmp_path / "a.md"), str(tmp_path / "b.md")]
    )
    assert same.exit_code == 0 and "faithful" in same.output
    added = CliRunner().invoke(
        app, ["plans", "faithful", str(tmp_path / "a.md"), str(tmp_path / "c.md")]
    )
    assert added.exit_code == 1 and "0.91" in added.output


def _extract_answer(request):
    title = "Rank choice" if "one.md" in request.last_user else "Depth choice"
    goal = {"title": title, "goal": "Choose.", "rubric": ["a x", "b y", "c z"], "reference": "r"}
    return Reply(text="```json\n" + json.dumps({"goals": [goal]}) + "\n```")


def test_plans_extract_stops_at_its_token_budget_and_keeps_what_it_wrote(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from airlab.cli import app

    for name in ("one.md", "two.md"):
        (tmp_path / name).write_text(f"# {name}\nA paper.")
    with FakeLLMServer(_extract_answer) as server:
        args = [
            "plans", "extract", str(tmp_path / "one.md"), str(tmp_path / "two.md"),
            "--out", str(tmp_path / "out"), "-b", f"openai-compatible/m@{server.openai_url}",
            "--judge", "none", "--tokens", "1",
        ]  # fmt: skip
        result = CliRunner().invoke(app, args)
        sent = len(server.requests)
    assert result.exit_code == 0, result.output
    assert sent == 1  # the second paper's call was refused before it was sent
    assert "stopped before 1 paper(s): --tokens 1" in " ".join(result.output.split())
    assert (tmp_path / "out" / "plan-rank-choice" / "private" / "rubric.yaml").is_file()
    assert not (tmp_path / "out" / "plan-depth-choice").exists()


def test_a_cost_budget_over_an_unpriced_model_is_refused_before_any_call(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text("# one\nA paper.")
    with FakeLLMServer(_extract_answer) as server:
        result = airlab(
            "plans", "extract", str(tmp_path / "one.md"), "--out", str(tmp_path / "out"),
            "-b", f"openai-compatible/m@{server.openai_url}", "--judge", "none", "--cost", "1",
        )  # fmt: skip
        sent = len(server.requests)
    assert result.returncode == 2 and sent == 0
    assert result.stderr.strip().count("\n") == 0
    assert "--cost" in result.stderr and "no price for model 'm'" in result.stderr


def test_rubric_discover_stops_at_its_budget_and_keeps_the_verdicts(tmp_path: Path) -> None:
    def verdicts(request):
        lines = request.last_user.splitlines()
        ids = [line.split("]")[0][3:] for line in lines if line.startswith("- [")]
        answer = [{"id": i, "satisfied": True, "justification": "yes"} for i in ids]
        return Reply(text=json.dumps({"verdicts": answer}))

    (tmp_path / "corpus.csv").write_text(
        "text,citations\n" + "".join(f"paper {k},{k}\n" for k in range(12))
    )
    (tmp_path / "items.txt").write_text("uses seeds\nstates compute\n")
    with FakeLLMServer(verdicts) as server:
        result = airlab(
            "rubric", "discover", str(tmp_path / "corpus.csv"), "--outcome", "citations",
            "--items", str(tmp_path / "items.txt"), "--out", str(tmp_path / "out"),
            "-b", f"openai-compatible/m@{server.openai_url}", "--tokens", "1",
        )  # fmt: skip
        sent = len(server.requests)
    assert result.returncode != 0 and sent == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "--tokens 1" in result.stderr and "verdicts so far are kept" in result.stderr
    assert len(json.loads((tmp_path / "out" / "verdicts.json").read_text())) == 2
