"""Declared segments (task.yaml's `segment_column`): a task whose rows come from three regions,
each candidate planted as the expert of one region. Without the declaration SoCE sees quartile
bins of the target, which cut across the regions; with it each region finds its expert and the
mixture beats the uniform soup and the best single candidate on `select`. The column may live
in the hidden answers or in the public test table; a column in neither is a one-line error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from airlab.ensemble import combine, soup_of_category_experts
from airlab.ensemble.soce import categories
from airlab.errors import TaskError
from airlab.grading.grader import Grader
from airlab.tasks.bundled import resolve_task
from airlab.tasks.prepare import write_task_data
from airlab.tasks.task import load_task

from .conftest import write_rmse_spec

REGIONS = ("north", "south", "west")
EXPERT_OF = {"e_north": "north", "e_south": "south", "e_west": "west"}
# noise of each candidate in each region (as tests/ensemble/conftest.py plants per target): each
# expert best in its region, e_north fair elsewhere too; `gen` mediocre everywhere and biased
NOISE = {
    "e_north": (0.1, 0.5, 0.5),
    "e_south": (1.0, 0.1, 1.0),
    "e_west": (1.0, 1.0, 0.1),
    "gen": (0.3, 0.3, 0.3),
}
BIAS = {"gen": 1.0}


def _task(root, *, where: str | None):
    """Regression rows from three regions; `where` puts the region column in the answers
    (hidden), in the public tables, or nowhere the declaration can find it."""
    rng = np.random.default_rng(0)
    n = 900
    frame = pd.DataFrame({"x": rng.normal(size=n), "region": np.repeat(REGIONS, n // 3)})
    frame["y"] = frame["x"] * 2 + rng.normal(size=n)
    public = frame if where == "public" else frame.drop(columns="region")
    write_task_data(root, public, target_columns=["y"], seed=1, train_fraction=0.4)
    if where == "answers":
        answers = pd.read_csv(root / "private" / "answers.csv", dtype={"id": str})
        answers["region"] = answers["id"].map(_region_by_id(root, frame))
        assert answers["region"].notna().all()
        answers.to_csv(root / "private" / "answers.csv", index=False)
    write_rmse_spec(root, "regions", "Three regions", ["y"], segment_column="region")
    return root


def _region_by_id(root, frame) -> dict[str, str]:
    """The public test table keeps x: each test id's region is its row's in `frame`."""
    test = pd.read_csv(root / "public" / "test.csv", dtype={"id": str})
    region_of_x = dict(zip(frame["x"].round(12), frame["region"], strict=True))
    return {i: region_of_x[round(x, 12)] for i, x in zip(test["id"], test["x"], strict=True)}


def _planted(grader, regions: pd.Series) -> dict[str, pd.DataFrame]:
    """Each candidate's predictions: the answers plus its noise in each row's region."""
    answers = grader.task.read_answers().set_index("id")["y"].astype(float)
    answers.index = answers.index.astype(str)
    where = regions.loc[answers.index].map(REGIONS.index).to_numpy()
    rng = np.random.default_rng(2)
    out = {}
    for key, noise in NOISE.items():
        error = rng.normal(size=len(answers)) * np.array(noise)[where] + BIAS.get(key, 0.0)
        out[key] = pd.DataFrame({"y": answers + error})
    return out


def _select(grader, frame):
    grade = grader.grade(frame, ("select",))
    assert grade.valid, grade.reason
    return grade.scores["select"]


@pytest.mark.parametrize("where", ["answers", "public"])
def test_each_declared_segment_finds_its_expert_and_the_soup_wins_on_select(tmp_path, where):
    grader = Grader(resolve_task(_task(tmp_path / where, where=where)))
    groups = categories(grader)
    assert sorted(groups) == [f"segment {r}" for r in REGIONS]
    assert sum(len(c.rows) for c in groups.values()) == len(grader.rows("search"))
    regions = pd.concat(grader.segments(split) for split in ("search", "select", "test"))
    candidates = _planted(grader, regions)
    soup = soup_of_category_experts(grader, candidates)
    assert soup.expert_of == {f"segment {r}": k for k, r in EXPERT_OF.items()}
    mixed = _select(grader, combine(grader, [candidates[k] for k in soup.experts], soup.weights))
    frames = list(candidates.values())
    uniform = _select(grader, combine(grader, frames, [1.0] * len(frames)))
    single = min(_select(grader, combine(grader, [frame], [1.0])) for frame in frames)
    assert mixed < uniform and mixed < single  # rmse: lower is better


def test_without_the_declaration_the_categories_are_bins_of_the_target(tmp_path):
    root = _task(tmp_path / "t", where="answers")
    spec = yaml.safe_load((root / "task.yaml").read_text())
    del spec["segment_column"]
    (root / "task.yaml").write_text(yaml.safe_dump(spec))
    assert all(name.startswith("bin ") for name in categories(Grader(resolve_task(root))))


def test_a_segment_column_found_nowhere_is_a_one_line_error_naming_the_field(tmp_path):
    root = _task(tmp_path / "t", where=None)
    with pytest.raises(TaskError) as caught:
        load_task(root)
    message = str(caught.value)
    assert "field 'segment_column'" in message and "'region'" in message
    assert "\n" not in message
