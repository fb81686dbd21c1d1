"""Segments and anomaly detectors judged against their champion on the same rows.

Both models read the rows the challenger was trained on: a segmentation is scored by the
silhouette of each model's segments in the challenger's encoded space (the same geometry
for both, on the same sample), a detector by precision at its own flagged rate on the
labelled rows (without labels there is nothing to judge by). Neither score needs held-out
rows: no label taught either model where the segments lie, and a detector's labels only
chose its family and threshold, for the champion as for the challenger.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._log import get_logger
from dbt_automl.errors import DbtAutomlError
from dbt_automl.lifecycle import Scores
from dbt_automl.registry import ModelVersion, load_version

SILHOUETTE_ROWS = 5_000  # silhouette is quadratic in rows: a seeded sample measures it


def segment_scores(table: pa.Table, challenger: Any, champion: ModelVersion | None) -> Scores:
    """Silhouette of both segmentations of the same sample, in the challenger's space."""
    sample = _sample(table, SILHOUETTE_ROWS)
    matrix = challenger.encode(sample)
    ours = _silhouette(matrix, challenger.internal(matrix)[0])
    theirs = None
    if champion is not None:
        theirs = _guarded(champion, lambda model: _silhouette(matrix, _segments(model, sample)))
    return Scores("silhouette", ours, theirs, True, rows="the same sample of the new rows")


def anomaly_scores(
    table: pa.Table, challenger: Any, label_column: str | None, champion: ModelVersion | None
) -> Scores | None:
    """Precision at each detector's flagged rate on the same labelled rows, or None when
    the rows carry no labels."""
    if not label_column or label_column not in table.column_names:
        return None
    labelled = table.filter(pc.is_valid(table.column(label_column)))
    y = np.asarray(labelled.column(label_column).to_pylist(), dtype=bool)
    if len(y) == 0 or y.all() or not y.any():
        return None
    ours = _precision(challenger, labelled, y)
    theirs = None
    if champion is not None:
        theirs = _guarded(champion, lambda model: _precision(model, labelled, y))
    return Scores("precision_at_flagged", ours, theirs, True, rows="the same labelled rows")


def _guarded(champion: ModelVersion, measure: Any) -> float | None:
    """The champion's score, or None (said in the log) when it cannot read these rows."""
    try:
        model, _ = load_version(champion.path)
        value: float | None = measure(model)
        return value
    except (DbtAutomlError, KeyError, ValueError) as exc:
        get_logger().warning(f"{champion.model_name}: v{champion.version} not scored: {exc}")
        return None


def _sample(table: pa.Table, n: int) -> pa.Table:
    if table.num_rows <= n:
        return table
    chosen = np.sort(np.random.default_rng(0).choice(table.num_rows, n, replace=False))
    return table.take(pa.array(chosen))


def _segments(model: Any, rows: pa.Table) -> np.ndarray:
    return np.asarray(model.assign(rows)["segment"].to_numpy())


def _silhouette(matrix: np.ndarray, labels: np.ndarray) -> float | None:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(labels):
        return None
    return float(silhouette_score(matrix, labels, random_state=0))


def _precision(model: Any, rows: pa.Table, y: np.ndarray) -> float:
    flagged = np.asarray(model.detect(rows)["is_anomaly"].to_numpy(), dtype=bool)
    return float(y[flagged].mean()) if flagged.any() else 0.0
