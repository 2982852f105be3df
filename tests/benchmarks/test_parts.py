"""The policy benchmark's parts: they partition the searches, and a merge needs every part once."""

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from parts import PART_FILE, code_revision, merge_parts, part_of, select_part


@pytest.mark.parametrize("count", [1, 3, 7, 12])
def test_parts_partition_the_searches(count):
    jobs = list(range(50))
    for key in (None, lambda j: j % 4):
        parts = [select_part(jobs, (i, count), key) for i in range(1, count + 1)]
        assert sorted(j for part in parts for j in part) == jobs
        sizes = [len(part) for part in parts]
        assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(("tasks", "count"), [(12, 12), (12, 6), (3, 3), (12, 5), (7, 12)])
def test_every_part_holds_each_tasks_share(tasks, count):
    """Searches listed method by method, seed by seed, task by task (as policies.py lists them):
    each part holds each task's searches in equal shares, give or take one, in their order."""
    jobs = [(m, s, t) for m in range(6) for s in range(5) for t in range(tasks)]
    parts = [select_part(jobs, (i, count), key=lambda job: job[2]) for i in range(1, count + 1)]
    assert sorted(j for part in parts for j in part) == sorted(jobs)
    share = 30 / count  # each task has 6 x 5 searches
    for part in parts:
        assert part == sorted(part, key=jobs.index)
        for t in range(tasks):
            assert int(share) <= sum(job[2] == t for job in part) <= int(share) + 1, part


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x", "1/2/3", ""])
def test_a_bad_part_is_one_line(bad):
    with pytest.raises(argparse.ArgumentTypeError, match="--part"):
        part_of(bad)


def _write(out, index, count, searches):
    rows = [{"method": m, "task": t, "seed": s, "seconds": 1.0} for m, t, s in searches]
    (out / PART_FILE.format(index=index, count=count)).write_text(json.dumps(rows))


def test_merge_needs_every_part_once(tmp_path):
    _write(tmp_path, 1, 2, [("greedy", "digits", 0)])
    with pytest.raises(SystemExit, match=r"part\(s\) \[2\] of 2"):
        merge_parts(tmp_path)
    _write(tmp_path, 2, 2, [("greedy", "digits", 1)])
    assert len(merge_parts(tmp_path)) == 2
    _write(tmp_path, 2, 2, [("greedy", "digits", 0)])
    with pytest.raises(SystemExit, match="two parts"):
        merge_parts(tmp_path)
    _write(tmp_path, 1, 3, [("mcts", "digits", 0)])
    with pytest.raises(SystemExit, match="different splits"):
        merge_parts(tmp_path)


def test_merge_refuses_parts_of_different_code(tmp_path):
    rows = [{"method": "greedy", "task": "digits", "seed": 0, "revision": "abc"}]
    (tmp_path / PART_FILE.format(index=1, count=2)).write_text(json.dumps(rows))
    rows = [{"method": "greedy", "task": "digits", "seed": 1, "revision": "def+changes"}]
    (tmp_path / PART_FILE.format(index=2, count=2)).write_text(json.dumps(rows))
    with pytest.raises(SystemExit, match="different code"):
        merge_parts(tmp_path)


def test_the_revision_names_a_commit():
    revision = code_revision()
    assert revision == "unknown" or len(revision.split("+")[0]) == 40
