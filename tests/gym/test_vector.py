"""Vectorised environments: observations of any Unicode text survive gymnasium's flattening, and
`AsyncVectorEnv` steps airlab environments in parallel processes."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium")

from gymnasium.spaces.utils import flatten, unflatten
from gymnasium.vector.utils import create_shared_memory

from airlab.gym.env import FreeText, make_vector

TEXT = "héllo – naïve ∑ 🙂 ok"


def test_free_text_flattens_any_unicode_and_back():
    space = FreeText(40)
    flat = flatten(space, TEXT)
    assert unflatten(space, flat) == TEXT
    assert space.contains(TEXT) and not space.contains(TEXT * 3)
    assert all(c in space.character_set for c in TEXT)


def test_shared_memory_is_refused_with_the_way_out():
    with pytest.raises(TypeError, match="shared_memory=False"):
        create_shared_memory(FreeText(10), n=2)


@pytest.mark.slow
def test_async_vector_env_resets_and_steps_in_parallel(tmp_path):
    vector = make_vector("digits", 2, operator="draft", max_steps=1, runs_dir=tmp_path)
    try:
        obs, _ = vector.reset(seed=0)
        assert list(obs["operator"]) == ["draft", "draft"]
        prompts = [s + u for s, u in zip(obs["system"], obs["user"], strict=True)]
        assert all(any(ord(c) > 127 for c in text) for text in prompts)  # what broke it
        _, reward, terminated, truncated, _ = vector.step(("no code here", "nor here"))
        assert list(reward) == [-1.0, -1.0] and all(truncated) and not any(terminated)
    finally:
        vector.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env-0", "env-1"]
