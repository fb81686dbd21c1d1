"""Permutation importance of input columns on a validation fold, and feature selection."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from dbt_automl._model import AutoMLModel

if TYPE_CHECKING:
    import pandas as pd

    from dbt_automl.preprocess import FeatureSchema
    from dbt_automl.search._family import Family
    from dbt_automl.tasks import Metric, Task

MAX_ROWS = 5_000  # rows of the validation fold used to measure importance
REPEATS = 3


def fold_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    schema: FeatureSchema,
    family: Family,
    params: dict[str, Any],
    task: Task,
    seed: int,
) -> AutoMLModel:
    """Preprocessing + one estimator fitted on ``frame`` (one fold's training rows)."""
    from dbt_automl.preprocess import build_preprocessor

    pre = build_preprocessor(schema, task, seed)
    X = pre.fit_transform(frame[schema.names()], y)
    estimator = family.build(params, task, seed)
    family.fit(estimator, X, y)
    return AutoMLModel(pre, estimator, task)


def permutation_importance(
    model: AutoMLModel,
    frame: pd.DataFrame,
    y: np.ndarray,
    metric: Metric,
    seed: int,
    columns: list[str],
) -> list[dict[str, Any]]:
    """How much the metric worsens when each column is shuffled (mean and std of REPEATS)."""
    rng = np.random.default_rng(seed)
    if len(frame) > MAX_ROWS:
        keep = rng.choice(len(frame), MAX_ROWS, replace=False)
        frame, y = frame.iloc[keep], y[keep]
    frame = frame.reset_index(drop=True)
    task = model.task
    base = task.score(metric, y, model.predict_raw(frame))
    result = []
    for column in columns:
        drops = []
        for _ in range(REPEATS):
            shuffled = frame.copy()
            shuffled[column] = rng.permutation(shuffled[column].to_numpy())
            score = task.score(metric, y, model.predict_raw(shuffled))
            drops.append(metric.sign * (base - score))
        result.append(
            {"column": column, "importance": float(np.mean(drops)), "std": float(np.std(drops))}
        )
    return sorted(result, key=lambda r: -r["importance"])


def useless(importance: list[dict[str, Any]]) -> list[str]:
    """Columns whose shuffling never hurt: mean importance <= 0."""
    return [r["column"] for r in importance if r["importance"] <= 0]


def without(schema: FeatureSchema, columns: list[str], reason: str) -> FeatureSchema:
    """The schema with ``columns`` moved to dropped, with ``reason``."""
    from dbt_automl.preprocess import Dropped

    gone = set(columns)
    return replace(
        schema,
        columns=tuple(c for c in schema.columns if c.name not in gone),
        dropped=schema.dropped + tuple(Dropped(c, reason) for c in columns),
    )
