"""Target-leakage warnings: a feature that alone is near-perfect was probably recorded after
the outcome (a cancellation date on a churn label, a refund amount on a fraud label).

Every check scores one column on its own: raw values for numbers and dates, out-of-fold
level statistics for categories (in-sample level means would make any high-cardinality
column look perfect). Checks read at most ``MAX_ROWS`` rows, so they take well under a
second on wide tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbt_automl.tasks import SignalRows

if TYPE_CHECKING:
    from dbt_automl.preprocess._schema import FeatureSchema
    from dbt_automl.tasks import Task

# ROC AUC (binary), |Spearman| (regression), accuracy (multiclass): each task's own measure.
LEAKAGE_SCORE = 0.99
MAX_ROWS = 50_000
MIN_ROWS = 30
SPLIT_SEED = 20_240_611  # fixed, so warnings are reproducible; unrelated to the search seed


def leakage_warnings(
    frame: pd.DataFrame, y: np.ndarray, task: Task, schema: FeatureSchema
) -> list[str]:
    """One message per feature that alone predicts ``y`` almost perfectly.

    Args:
        frame: the features as :func:`dbt_automl.preprocess.to_frame` returns them.
        y: the encoded target (classes 0..k-1, positive class 1 for binary; floats for
            regression), aligned with ``frame`` by position.
        task: the task, which measures how well one column predicts ``y``.
        schema: the feature schema; free-text columns are not checked.

    Example::

        for message in leakage_warnings(frame, target.y, task, schema):
            log.warning(f"{model_name}: {message}")
    """
    rng = np.random.default_rng(SPLIT_SEED)
    n = len(y)
    rows = np.sort(rng.permutation(n)[:MAX_ROWS]) if n > MAX_ROWS else np.arange(n)
    y = np.asarray(y)[rows]
    if len(y) < MIN_ROWS or len(np.unique(y)) < 2:
        return []
    signal_rows = SignalRows(y, rng.random(len(y)) < 0.5)
    messages = []
    for col in schema.columns:
        if col.encoding == "tfidf" or col.name not in frame.columns:
            continue
        values = frame[col.name].to_numpy()[rows]
        numbers = None if col.reads_as == "categorical" else _as_float(values)
        found = task.column_signal(values, numbers, signal_rows)
        if found is not None and found[1] >= LEAKAGE_SCORE:
            messages.append(
                f"column {col.name!r} looks like target leakage ({col.name!r} alone gives "
                f"{found[0]} {found[1]:.3f}): check it is known before the prediction time, "
                "or leave it out (meta.automl.exclude)"
            )
    return messages


def _as_float(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        stamps = values.astype("datetime64[us]")
        return np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(float))
    return np.asarray(values, dtype=float)
