"""Tasks: load and validate task folders; the bundled suite."""

from airlab.tasks.bundled import (
    TASKS,
    code_task_names,
    data_home,
    prepare_task,
    resolve_task,
    source_spec,
)
from airlab.tasks.spec import TaskLimits, TaskSpec, load_spec
from airlab.tasks.task import SPLITS, Task, load_task

__all__ = [
    "SPLITS",
    "TASKS",
    "Task",
    "TaskLimits",
    "TaskSpec",
    "code_task_names",
    "data_home",
    "load_spec",
    "load_task",
    "prepare_task",
    "resolve_task",
    "source_spec",
]
