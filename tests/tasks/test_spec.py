from pathlib import Path

import pytest
import yaml

from airlab.errors import TaskError
from airlab.tasks import load_task


def _edit(root: Path, **changes: object) -> None:
    path = root / "task.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))


def test_valid_task_loads(make_task):
    task = load_task(make_task())
    assert task.spec.metric == "accuracy"
    assert task.spec.maximize
    assert len(task.test_ids) == 60


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"direction": "sideways"}, "field 'direction'"),
        ({"colour": "blue"}, "unknown field 'colour'"),
        ({"limts": {"time_s": 5}}, "unknown field 'limts'; did you mean 'limits'?"),
        ({"metric": None}, "missing required field 'metric'"),
        ({"metric": "acuracy"}, "did you mean 'accuracy'"),
        ({"name": "Bad Name"}, "field 'name'"),
        ({"direction": "minimize"}, "metric 'accuracy' is maximized"),
        ({"limits": {"time_s": -1}}, "field 'limits.time_s'"),
        ({"target_columns": []}, "field 'target_columns'"),
    ],
)
def test_broken_task_yaml_gives_one_line_error_naming_field(make_task, changes, expected):
    root = make_task()
    _edit(root, **changes)
    with pytest.raises(TaskError) as info:
        load_task(root)
    message = str(info.value)
    assert "\n" not in message
    assert str(root / "task.yaml") in message
    assert expected in message


def test_invalid_yaml_names_the_line(make_task):
    root = make_task()
    (root / "task.yaml").write_text("name: tiny\ntitle: [unclosed\n")
    with pytest.raises(TaskError, match=r"task.yaml: not valid YAML \(line"):
        load_task(root)


def test_missing_files_are_named(make_task):
    root = make_task()
    (root / "description.md").unlink()
    with pytest.raises(TaskError, match=r"description\.md: file not found"):
        load_task(root)
    root = make_task(name="other")
    (root / "private" / "answers.csv").unlink()
    with pytest.raises(TaskError, match=r"answers\.csv: file not found"):
        load_task(root)
