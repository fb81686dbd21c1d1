"""The label: deciding the task kind and encoding classes (positive class last)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._config import AutomlConfig
from dbt_automl._errors import TrainingDataError

MAX_INTEGER_CLASSES = 20  # an integer target with more distinct values is a quantity


@dataclass
class Target:
    """The label: its task kind, encoded values and the original classes."""

    kind: str
    y: np.ndarray
    classes: list[Any] | None = None


def _classes(values: np.ndarray, cfg: AutomlConfig) -> list[Any]:
    classes = sorted(set(values.tolist()), key=lambda v: (str(type(v)), v))
    if len(classes) != 2:
        return classes
    if cfg.positive_class is not None:
        if cfg.positive_class not in classes:
            raise cfg.error(
                "positive_class",
                f"{cfg.positive_class!r} is not a value of {cfg.target!r} {classes}",
                f"use one of {classes}",
            )
        positive = cfg.positive_class
    elif classes in ([False, True], [0, 1]):
        positive = classes[1]
    else:
        # Without a hint the rarer class is the interesting one (fraud, churn).
        positive = min(classes, key=lambda c: int((values == c).sum()))
    return [c for c in classes if c != positive] + [positive]


def _task(cfg: AutomlConfig, arrow_type: pa.DataType, n_unique: int) -> str:
    if cfg.task is not None:
        return cfg.task
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "regression"
    if pa.types.is_integer(arrow_type) and n_unique > MAX_INTEGER_CLASSES:
        return "regression"
    return "classification"


def encode_target(column: pa.ChunkedArray, cfg: AutomlConfig) -> Target:
    """Decide the task kind and encode the label (classes as 0..k-1, positive last)."""
    arrow_type = column.type
    n_unique = pc.count_distinct(column).as_py()
    if _task(cfg, arrow_type, n_unique) == "regression":
        numeric = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
        if not (numeric or pa.types.is_decimal(arrow_type)):
            raise TrainingDataError(
                f"dbt-automl: model {cfg.model_name}: task is regression but target "
                f"{cfg.target!r} has type {arrow_type}. Fix: cast it to a number in the "
                "feature model, or set `task: classification`"
            )
        return Target("regression", pc.cast(column, pa.float64()).to_numpy())
    values = np.asarray(column.to_pylist(), dtype=object)
    if n_unique < 2:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: target {cfg.target!r} has a single class "
            f"({values[0]!r}) in {len(values)} rows; a classifier needs two. Fix: check the "
            "feature model's filters and the label logic upstream"
        )
    classes = _classes(values, cfg)
    lookup = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((lookup[v] for v in values), dtype=int, count=len(values))
    return Target("binary" if len(classes) == 2 else "multiclass", y, classes)
