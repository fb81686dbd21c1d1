"""Anomaly detection (``task: anomaly``): unusual rows scored in [0, 1] and flagged.

Its own task module beside the supervised engine: :func:`train_detector` featurizes the
rows, fits the detector families (histograms, empirical tails, isolation forest, nearest
neighbours), rank-averages them (or lets a few labels choose), calibrates scores as shares
of training rows and sets the flag's threshold from ``contamination``, ``score_threshold``
or the labels; :class:`AnomalyModel` is what a registry version holds and detects with.
"""

from __future__ import annotations

from dbt_automl.anomaly._config import (
    ANOMALY_TASK,
    ENSEMBLE,
    FAMILIES,
    AnomalyConfig,
    is_anomaly,
    parse_anomaly_config,
)
from dbt_automl.anomaly._engine import MIN_ROWS, AnomalyResult, train_detector
from dbt_automl.anomaly._model import FLAG, RAW, SCORE, AnomalyModel

__all__ = [
    "ANOMALY_TASK",
    "ENSEMBLE",
    "FAMILIES",
    "FLAG",
    "MIN_ROWS",
    "RAW",
    "SCORE",
    "AnomalyConfig",
    "AnomalyModel",
    "AnomalyResult",
    "is_anomaly",
    "parse_anomaly_config",
    "train_detector",
]
