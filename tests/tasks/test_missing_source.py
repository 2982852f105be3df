"""A bundled task whose data package is missing fails alone, naming the extra to install."""

import pytest

from airlab.errors import TaskError
from airlab.tasks import TASKS, prepare_task


def test_missing_data_package_names_the_extra(tmp_path, monkeypatch):
    source = tmp_path / "needs-pkg"
    source.mkdir()
    (source / "task.yaml").write_text("name: needs-pkg\n")
    (source / "prepare.py").write_text("import airlab_no_such_package\n")
    monkeypatch.setitem(TASKS._items, "needs-pkg", source)
    with pytest.raises(TaskError) as info:
        prepare_task("needs-pkg")
    message = str(info.value)
    assert "'airlab_no_such_package'" in message and "airlab[tasks]" in message
    assert "\n" not in message
