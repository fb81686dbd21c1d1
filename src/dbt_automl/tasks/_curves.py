"""Evaluation curves of the test predictions, recorded in a version's metadata.

Each is a JSON-ready list of points or cells, computed once at training on the test split
(the rows the search never saw) so that the evaluation table, the model card and the drift
tests read them without loading the model. Curves are downsampled to at most MAX_POINTS
points: enough for a chart, small enough for the metadata file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dbt_automl.tasks._base import sklearn_metrics as skm

# Keys of the curves in a version's ``decisions`` (prediction_distribution is a summary
# the drift tests read, kept in the trained-model table's JSON).
CURVE_KEYS = (
    "calibration_curve",
    "roc_curve",
    "pr_curve",
    "confusion_matrix",
    "residuals_by_decile",
)
# The mean of the encoded training rows, per preprocessor: what linear and model-agnostic
# contributions are relative to (dbt_automl.scoring._explain).
EXPLANATION_REFERENCE = "explanation_reference"
# What the trained-model table's decisions JSON leaves out (the metadata file keeps it).
METADATA_ONLY = (*CURVE_KEYS, EXPLANATION_REFERENCE)
MAX_POINTS = 200
DISTRIBUTION_BINS = 10  # deciles: PSI's usual binning, robust to skewed probabilities


def downsample(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` points of a curve of ``n``, both ends kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


def _finite(value: float) -> float | None:
    # JSON has no infinity: roc_curve's first threshold (inf) is recorded as null.
    return float(value) if math.isfinite(value) else None


def roc_points(y: np.ndarray, p_pos: np.ndarray) -> list[dict[str, Any]]:
    """The ROC curve: false and true positive rate at each threshold (from 1 down)."""
    if len(np.unique(y)) < 2:
        return []
    fpr, tpr, thresholds = skm().roc_curve(y, p_pos)
    return [
        {"fpr": float(fpr[i]), "tpr": float(tpr[i]), "threshold": _finite(thresholds[i])}
        for i in downsample(len(fpr))
    ]


def pr_points(y: np.ndarray, p_pos: np.ndarray) -> list[dict[str, Any]]:
    """The precision-recall curve, recall rising; the last point (recall 0, precision 1)
    has no threshold."""
    if len(np.unique(y)) < 2:
        return []
    precision, recall, thresholds = skm().precision_recall_curve(y, p_pos)
    order = np.arange(len(recall))[::-1]  # scikit-learn lists recall falling
    points = []
    for i in order[downsample(len(order))]:
        threshold = _finite(thresholds[i]) if i < len(thresholds) else None
        points.append(
            {"recall": float(recall[i]), "precision": float(precision[i]), "threshold": threshold}
        )
    return points


def confusion_cells(
    y: np.ndarray, predicted: np.ndarray, keys: Sequence[str]
) -> list[dict[str, Any]]:
    """Every (actual, predicted) cell of the confusion matrix, zero cells included; ``y``
    and ``predicted`` are class positions in ``keys``."""
    k = len(keys)
    counts = np.bincount(y.astype(int) * k + predicted.astype(int), minlength=k * k)
    return [
        {"actual": keys[a], "predicted": keys[p], "count": int(counts[a * k + p])}
        for a in range(k)
        for p in range(k)
    ]


def residuals_by_decile(y: np.ndarray, predicted: np.ndarray) -> list[dict[str, Any]]:
    """Residuals (actual - predicted) by decile of the prediction: where the model is
    biased high or low, and where it is least accurate."""
    if len(y) == 0:
        return []
    order = np.argsort(predicted, kind="stable")
    rows = []
    for decile, part in enumerate(np.array_split(order, min(10, len(y))), start=1):
        residual = y[part] - predicted[part]
        rows.append(
            {
                "decile": decile,
                "mean_prediction": float(predicted[part].mean()),
                "mean_actual": float(y[part].mean()),
                "mean_residual": float(residual.mean()),
                "mean_abs_residual": float(np.abs(residual).mean()),
                "count": int(len(part)),
            }
        )
    return rows


def histogram(values: np.ndarray, kind: str, low: float, high: float) -> dict[str, Any]:
    """Shares of ``values`` in bins at their deciles (ties merged), the outer edges at
    ``low`` and ``high``: ``{"kind", "edges", "shares"}``, ``len(edges) = len(shares) + 1``.

    Drift compares scored predictions with these bins (values beyond the outer edges count
    in the outer bins).
    """
    inner = np.quantile(values, np.linspace(0, 1, DISTRIBUTION_BINS + 1)[1:-1])
    edges = np.unique(np.concatenate([[low], inner[(inner > low) & (inner < high)], [high]]))
    if len(edges) < 2:  # a constant prediction: one bin around it
        edges = np.array([low, low + 1.0]) if low == high else np.array([low, high])
    return {"kind": kind, "edges": [float(e) for e in edges], "shares": _binned(values, edges)}


def shares_at(distribution: dict[str, Any], raw: np.ndarray) -> list[float]:
    """Shares of the raw predictions ``raw`` in the bins of a recorded ``distribution``
    (:func:`histogram` or :func:`class_shares`, binned as they bin): the positive class's
    probability of an (n, 2) array, the values of a regression, the most probable class
    otherwise."""
    if distribution["kind"] == "class":
        return class_shares(np.asarray(raw).argmax(axis=1), distribution["classes"])["shares"]
    values = raw[:, 1] if raw.ndim == 2 else raw
    return _binned(values, np.asarray(distribution["edges"], dtype=float))


def _binned(values: np.ndarray, edges: np.ndarray) -> list[float]:
    """Shares of ``values`` in the bins [lo, hi) of ``edges``, values beyond the outer
    edges in the outer bins."""
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    shares = np.bincount(index, minlength=len(edges) - 1) / max(len(values), 1)
    return [float(s) for s in shares]


def class_shares(predicted: np.ndarray, keys: Sequence[str]) -> dict[str, Any]:
    """Share of rows predicted as each class: ``{"kind": "class", "classes", "shares"}``."""
    counts = np.bincount(predicted.astype(int), minlength=len(keys))
    shares = counts / max(len(predicted), 1)
    return {"kind": "class", "classes": list(keys), "shares": [float(s) for s in shares]}
