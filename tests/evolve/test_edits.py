"""The edit format: strictly parsed; paths outside the editable files are refused."""

from __future__ import annotations

import pytest
import yaml

from airlab.evolve.edits import EditError, apply_edits, diff, parse_edits

FILES = {"agent.yaml": "schema: 1\nname: x\npolicy:\n  name: greedy\n"}


def test_a_json_block_of_edits_is_parsed_and_applied():
    answer = (
        "Fewer drafts should help.\n```json\n"
        '[{"file": "agent.yaml", "action": "set_field", "field": "policy.params.num_drafts",'
        ' "value": 2}, {"file": "prompts/system.j2", "action": "replace", "content": "Be brief."}]'
        "\n```\n"
    )
    files = apply_edits(FILES, parse_edits(answer), self_modify=False)
    assert yaml.safe_load(files["agent.yaml"])["policy"] == {
        "name": "greedy",
        "params": {"num_drafts": 2},
    }
    assert files["prompts/system.j2"] == "Be brief."
    assert FILES["agent.yaml"].endswith("greedy\n")  # the input is left alone
    assert "+Be brief." in diff(FILES, files)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("I would raise num_drafts.", "no JSON list"),
        ('[{"file": "agent.yaml", "action": "delete"}]', "malformed edit"),
        ('[{"file": "agent.yaml", "action": "replace"}]', "malformed edit"),
        ('[{"file": "agent.yaml", "action": "replace", "content": "x", "extra": 1}]', "malformed"),
        ("[]", "empty list"),
    ],
)
def test_a_malformed_answer_is_one_line_reason(answer, reason):
    with pytest.raises(EditError, match=reason):
        parse_edits(answer)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../agent.yaml", "without '..'"),
        ("/etc/passwd", "without '..'"),
        ("prompts/../../x.j2", "without '..'"),
        ("prompts/.hidden.j2", "not an editable file"),
        ("run.py", "not an editable file"),
        ("prompts/sub/draft.j2", "not an editable file"),
        ("meta/meta.yaml", "without self-modification"),
        ("meta/prompts/edit.j2", "without self-modification"),
    ],
)
def test_paths_outside_the_editable_files_are_refused(path, reason):
    edit = parse_edits(f'[{{"file": "{path}", "action": "replace", "content": "x"}}]')
    with pytest.raises(EditError, match=reason):
        apply_edits(FILES, edit, self_modify=False)


def test_meta_is_editable_under_self_modification_and_set_field_needs_yaml():
    edit = parse_edits(
        '[{"file": "meta/meta.yaml", "action": "set_field", "field": "edits", "value": 3}]'
    )
    assert yaml.safe_load(apply_edits({}, edit, self_modify=True)["meta/meta.yaml"]) == {"edits": 3}
    bad = parse_edits('[{"file": "prompts/a.j2", "action": "set_field", "field": "x"}]')
    with pytest.raises(EditError, match="YAML files only"):
        apply_edits(FILES, bad, self_modify=False)
