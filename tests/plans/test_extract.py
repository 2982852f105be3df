"""Extraction through a real client against a local fake server: valid task folders, a strict
parse of the answer, items the judge cannot decide dropped, every call in the ledger."""

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from airlab.plans.calls import CALLS_FILE, CallTally, metered_model
from airlab.plans.extract import ExtractionError, extract_paper, parse_answer, read_paper
from airlab.plans.rubric import Leaf, Verdict, VerdictFailure, load_rubric, split_items
from airlab.testing.fake_llm import FakeLLMServer, Reply

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05, "timeout_s": 5, "max_retries": 0}
PAPER = "# Tiny adapters\n\nWe study low-rank adapters for tabular transformers. " * 3


def _goal(title: str, items: list[str]) -> dict:
    return {
        "title": title,
        "goal": f"Find out {title.lower()} under a fixed compute budget.",
        "rubric": [{"text": t, "weight": 2, "category": "method"} for t in items[:1]] + items[1:],
        "reference": f"The paper's approach to {title.lower()}.",
    }


ANSWER = {
    "goals": [
        _goal(
            "Adapter rank choice",
            ["Varies the rank", "Fixes compute", "Uses 3 seeds", "UNDECIDABLE item"],
        ),
        _goal("Adapter placement", ["Tries each layer", "UNDECIDABLE one", "UNDECIDABLE two"]),
    ]
}


class MarkerJudge:
    """Decides every item but those holding 'UNDECIDABLE' (a failed verdict)."""

    def judge(self, text: str, leaves: Sequence[Leaf], *, context: str = "") -> list[Verdict]:
        assert text.startswith("The paper's approach") and context.startswith("Find out")
        return [
            Verdict(item_id=leaf.id, failure=VerdictFailure.MALFORMED)
            if "UNDECIDABLE" in leaf.text
            else Verdict(item_id=leaf.id, value=1.0)
            for leaf in leaves
        ]


def _paper(tmp_path: Path) -> Path:
    path = tmp_path / "adapters.md"
    path.write_text(PAPER)
    return path


def test_extraction_through_a_fake_server_writes_valid_task_folders(tmp_path: Path) -> None:
    answer = "Here are the goals.\n```json\n" + json.dumps(ANSWER) + "\n```\n"
    tally = CallTally()
    with FakeLLMServer(lambda request: Reply(text=answer, tokens_in=900, tokens_out=300)) as srv:
        model = metered_model(f"openai-compatible/m@{srv.openai_url}", FAST, tmp_path, tally)
        result = extract_paper(_paper(tmp_path), model, tmp_path / "out", judge=MarkerJudge())
        prompt = srv.requests[0].last_user
    assert "Tiny adapters" in prompt and "up to 3 research goals" in prompt
    # the second goal keeps one decidable item: dropped; the first loses its undecidable one
    assert [f.name for f in result.folders] == ["plan-adapter-rank-choice"]
    assert result.dropped_items == [
        "Adapter rank choice: UNDECIDABLE item",
        "Adapter placement: UNDECIDABLE one",
        "Adapter placement: UNDECIDABLE two",
    ]
    assert result.dropped_goals and result.dropped_goals[0].startswith("Adapter placement")
    folder = result.folders[0]
    spec = yaml.safe_load((folder / "task.yaml").read_text())
    assert spec["name"] == folder.name and spec["kind"] == "plan"
    assert "adapters.md" in spec["source"]
    rubric = load_rubric(folder / "private" / "rubric.yaml")
    assert [leaf.text for leaf in rubric.leaves()] == [
        "Varies the rank",
        "Fixes compute",
        "Uses 3 seeds",
    ]
    assert rubric.leaves()[0].weight == 2 and rubric.leaves()[0].category == "method"
    split_items(rubric, seed=spec["hidden_splits"]["seed"])  # the grader can split it
    assert (folder / "private" / "reference.md").read_text().startswith("The paper's approach")
    assert "Find out adapter rank choice" in (folder / "description.md").read_text()
    # the call is in the ledger and in llm_calls.jsonl
    spend = tally.total()
    assert (spend.calls, spend.tokens_in, spend.tokens_out) == (1, 900, 300)
    (line,) = (tmp_path / CALLS_FILE).read_text().splitlines()
    assert json.loads(line)["purpose"] == "extract"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("no block, no goals", "adapters.md: malformed answer at top"),
        ('```json\n{"goals": [\n```', "adapters.md: the model's answer is not valid JSON"),
        ('```json\n{"goals": [{"title": "t"}]}\n```', r"malformed answer at goals\.0\.goal"),
        ('```json\n{"goals": []}\n```', "malformed answer at goals"),
    ],
)
def test_a_malformed_answer_is_one_line_naming_the_paper(answer: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message) as caught:
        parse_answer(answer, "adapters.md")
    assert "\n" not in str(caught.value)


def test_a_yaml_block_and_plain_string_items_are_read() -> None:
    answer = "```yaml\ngoals:\n- title: T\n  goal: G\n  rubric: [a, b, c]\n```"
    (goal,) = parse_answer(answer, "p.md")
    assert [item.text for item in goal.rubric] == ["a", "b", "c"]


def test_a_failed_call_names_the_paper(tmp_path: Path) -> None:
    tally = CallTally()
    with FakeLLMServer(lambda request: Reply(status=400, error_message="bad request")) as srv:
        model = metered_model(f"openai-compatible/m@{srv.openai_url}", FAST, tmp_path, tally)
        with pytest.raises(ExtractionError, match=r"adapters\.md: the model call failed"):
            extract_paper(_paper(tmp_path), model, tmp_path / "out")
    assert tally.total().failed == 1


def test_without_a_judge_every_goal_with_enough_items_is_written(tmp_path: Path) -> None:
    answer = "```json\n" + json.dumps(ANSWER) + "\n```"
    with FakeLLMServer(lambda request: Reply(text=answer)) as srv:
        model = metered_model(f"openai-compatible/m@{srv.openai_url}", FAST, tmp_path, CallTally())
        first = extract_paper(_paper(tmp_path), model, tmp_path / "out", max_goals=1)
        again = extract_paper(_paper(tmp_path), model, tmp_path / "out", max_goals=1)
    assert [f.name for f in first.folders] == ["plan-adapter-rank-choice"]
    assert [f.name for f in again.folders] == ["plan-adapter-rank-choice-2"]  # never overwritten


def test_read_paper_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    from airlab.errors import TaskError

    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TaskError, match="not UTF-8"):
        read_paper(binary)
    with pytest.raises(TaskError, match="file not found"):
        read_paper(tmp_path / "missing.md")


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose page shows `text` (built by hand: no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_paper_is_read_through_pypdf(tmp_path: Path) -> None:
    pytest.importorskip("pypdf", reason="pypdf is the optional [pdf] extra")
    path = tmp_path / "paper.pdf"
    path.write_bytes(_tiny_pdf("Sparse adapters for tables"))
    assert "Sparse adapters for tables" in read_paper(path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nothing else")
    from airlab.errors import TaskError

    with pytest.raises(TaskError, match=r"broken\.pdf: not a readable PDF"):
        read_paper(broken)
