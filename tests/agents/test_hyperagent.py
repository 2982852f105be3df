"""A hyperagent folder's `meta/` (the meta agent's definition) and the parent-selection rules."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from airlab.agents import content_hash, copy_agent, load_agent
from airlab.agents.parents import parent_probabilities
from airlab.errors import ConfigError


def hyper(tmp_path: Path) -> Path:
    return copy_agent("greedy-hyper", tmp_path / "hyper")


def edit_meta(root: Path, **changes) -> Path:
    path = root / "meta" / "meta.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_packaged_hyperagent_has_a_meta_agent_and_a_plain_agent_none():
    meta = load_agent("greedy-hyper").meta
    assert meta is not None and meta.parent_selection.rule == "dgm_h"
    assert meta.prompt == "edit.j2" and not meta.self_modification
    assert load_agent("greedy").meta is None


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        ({"evidense": {}}, ["unknown field 'evidense'", "did you mean 'evidence'?"]),
        ({"evidence": {"trajectory": 2}}, ["'evidence.trajectory'", "'trajectories'?"]),
        ({"edits": 0}, ["field 'edits'"]),
        ({"parent_selection": {"rule": "dgmh"}}, ["unknown parent selection rule 'dgmh'"]),
        (
            {"parent_selection": {"rule": "dgm", "params": {"steepnes": 5}}},
            ["unknown parameter 'steepnes'", "did you mean 'steepness'?"],
        ),
        ({"prompt": "meta.j2"}, ["prompt 'meta.j2' is not in"]),
    ],
)
def test_a_bad_meta_yaml_is_one_line_naming_the_file(tmp_path, changes, fragments):
    root = hyper(tmp_path)
    path = edit_meta(root, **changes)
    with pytest.raises(ConfigError) as caught:
        load_agent(root)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_meta_prompts_are_checked_and_hashed(tmp_path):
    root = hyper(tmp_path)
    before = content_hash(root)
    prompt = root / "meta" / "prompts" / "edit.j2"
    prompt.write_text(prompt.read_text() + "\n{{ scores }} and {{ scroes }}\n")
    with pytest.raises(ConfigError, match=r"edit\.j2:\d+: unknown variable 'scroes'; did you"):
        load_agent(root)
    prompt.write_text(prompt.read_text().replace(" and {{ scroes }}", ""))
    assert load_agent(root).content_hash != before
    shutil.rmtree(root / "meta")
    assert load_agent(root).meta is None


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_dgm_h_weighs_by_score_against_the_top_three_and_by_children():
    scores, children = [0.2, 0.5, 0.9, 0.8, 0.7], [0, 3, 8, 0, 12]
    top3 = (0.9 + 0.8 + 0.7) / 3
    weights = [
        sigmoid(10 * (s - top3)) * math.exp(-((n / 8) ** 3))
        for s, n in zip(scores, children, strict=True)
    ]
    expected = np.array(weights) / sum(weights)
    assert np.allclose(parent_probabilities("dgm_h", scores, children), expected)


def test_dgm_weighs_by_score_against_one_half_over_one_plus_children():
    scores, children = [0.2, 0.5, 0.9], [0, 1, 4]
    weights = [sigmoid(10 * (s - 0.5)) / (1 + n) for s, n in zip(scores, children, strict=True)]
    expected = np.array(weights) / sum(weights)
    assert np.allclose(parent_probabilities("dgm", scores, children), expected)


@pytest.mark.parametrize("rule", ["dgm_h", "dgm"])
def test_more_children_means_less_likely_at_equal_score(rule):
    probabilities = parent_probabilities(rule, [0.6, 0.6, 0.6], [0, 4, 10])
    assert probabilities[0] > probabilities[1] > probabilities[2]
    assert probabilities.sum() == pytest.approx(1.0)


def test_uniform_and_degenerate_archives():
    assert np.allclose(parent_probabilities("uniform", [0.1, 0.9], [0, 50]), [0.5, 0.5])
    assert np.allclose(parent_probabilities("dgm_h", [0.4], [0]), [1.0])
    # every member's penalty underflows to 0: drawn uniformly rather than not at all
    assert np.allclose(parent_probabilities("dgm_h", [0.1, 0.9], [10**4, 10**4]), [0.5, 0.5])
    with pytest.raises(ValueError):
        parent_probabilities("dgm", [0.1, 0.2], [0])
