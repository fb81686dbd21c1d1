"""Tasks: what differs between kinds of problem, each in its own module.

A task owns its target encoding and classes, its metrics and default metric, its split
defaults, its decision rule (calibration, threshold), the columns of its prediction table
and of its trained-model table. The engine asks the task; it never compares task names.

To add a task: a module with a :class:`Task` subclass, listed in ``_TASKS`` below, and the
families that support it (``Family.tasks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.tasks._base import Decision, Metric, Target, Task
from dbt_automl.tasks._classification import (
    MIN_CLASS_ROWS,
    BinaryClassification,
    Classification,
    MulticlassClassification,
    class_key,
)
from dbt_automl.tasks._regression import Regression
from dbt_automl.tasks._signal import SignalRows

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig

_TASKS: tuple[type[Task], ...] = (BinaryClassification, MulticlassClassification, Regression)
TASKS: dict[str, type[Task]] = {task.name: task for task in _TASKS}
# Names a user may write in meta.automl.task; a group resolves to one task from the data.
_GROUPS: dict[str, type[Classification] | type[Regression]] = {
    "classification": Classification,
    "binary": Classification,
    "multiclass": Classification,
    "regression": Regression,
}
TASK_NAMES: tuple[str, ...] = tuple(_GROUPS)
MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is a quantity


def task_named(name: str) -> Task:
    """The task recorded in a model's metadata under ``name``."""
    return TASKS[name]()


def resolve(column: pa.ChunkedArray, cfg: AutomlConfig) -> tuple[Task, Target]:
    """Decide the task (``meta.automl.task`` or the target's type) and encode the target.

    Raises:
        TrainingDataError: the target cannot serve the task (see each task's ``encode``).
    """
    return group_of(column, cfg).encode(column, cfg)


def group_of(column: pa.ChunkedArray, cfg: AutomlConfig) -> type[Classification | Regression]:
    """The task, or group of tasks, a target serves: from ``meta.automl.task`` if set, else
    from its type (numbers with many values are quantities). Cheap: reads no values."""
    if cfg.task is not None:
        return _GROUPS[cfg.task]
    return Regression if _is_quantity(column) else Classification


def _is_quantity(column: pa.ChunkedArray) -> bool:
    arrow_type = column.type
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return True
    if not pa.types.is_integer(arrow_type):
        return False
    return bool(pc.count_distinct(column).as_py() > MAX_INTEGER_CLASSES)


__all__ = [
    "MIN_CLASS_ROWS",
    "TASKS",
    "TASK_NAMES",
    "BinaryClassification",
    "Classification",
    "Decision",
    "Metric",
    "MulticlassClassification",
    "Regression",
    "SignalRows",
    "Target",
    "Task",
    "class_key",
    "group_of",
    "resolve",
    "task_named",
]
