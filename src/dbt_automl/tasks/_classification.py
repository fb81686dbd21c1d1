"""Classification: binary (a tuned threshold) and multiclass (argmax), probabilities out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from dbt_automl.errors import TrainingDataError
from dbt_automl.tasks import _curves, _signal
from dbt_automl.tasks._base import Decision, Metric, Target, Task
from dbt_automl.tasks._base import sklearn_metrics as skm
from dbt_automl.tasks._calibration import (
    Calibrator,
    PlattCalibrator,
    TemperatureCalibrator,
    calibration_curve,
    choose_calibrator,
)

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig

# A class needs a row in the test split and one in every validation fold's training rows;
# with fewer, stratified splitting fails or a fold trains without the class.
MIN_CLASS_ROWS = 5
MULTICLASS_MAX_UNIQUE_SHARE = 0.5  # beyond it, numbers are checked by nearest neighbour


def _binary_labels(proba: np.ndarray, threshold: float) -> np.ndarray:
    return (proba[:, 1] >= threshold).astype(int)


def _multiclass_roc(y: np.ndarray, p: np.ndarray, _: float) -> float:
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    # Classes absent from y cannot be scored one-vs-rest; renormalise over those present.
    sub = p[:, present] / p[:, present].sum(axis=1, keepdims=True)
    if len(present) == 2:
        return float(skm().roc_auc_score(y == present[1], sub[:, 1]))
    return float(skm().roc_auc_score(y, sub, multi_class="ovr", labels=present))


def best_f1_threshold(y: np.ndarray, proba_pos: np.ndarray) -> float:
    """The decision threshold that maximises F1 on (validation) predictions.

    Rare positives (fraud) make 0.5 a poor cut: a model can rank well and still predict
    no positive at 0.5, so the threshold is tuned, never assumed.
    """
    precision, recall, thresholds = skm().precision_recall_curve(y, proba_pos)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    if len(thresholds) == 0:
        return 0.5
    return float(thresholds[int(np.argmax(f1[:-1]))])


def tune_threshold(
    y: np.ndarray,
    proba_pos: np.ndarray,
    metric: str,
    costs: dict[str, float] | None = None,
) -> tuple[float, str]:
    """The binary decision threshold and why it was chosen.

    With ``costs`` ({false_positive, false_negative}) the threshold minimises the expected
    cost; for ``accuracy`` it maximises accuracy; otherwise (threshold-free metrics, F1) it
    maximises F1.
    """
    candidates = np.unique(np.quantile(proba_pos, np.linspace(0, 1, 201)))
    positives = y == 1
    if costs is not None:
        cost = [
            costs["false_positive"] * np.sum((proba_pos >= t) & ~positives)
            + costs["false_negative"] * np.sum((proba_pos < t) & positives)
            for t in candidates
        ]
        return float(candidates[int(np.argmin(cost))]), "minimum expected cost (meta.automl.costs)"
    if metric == "accuracy":
        accuracy = [np.mean((proba_pos >= t) == positives) for t in candidates]
        return float(candidates[int(np.argmax(accuracy))]), "maximum accuracy"
    return best_f1_threshold(y, proba_pos), "maximum F1"


def class_key(value: Any) -> str:
    """The text of a class label as used in the ``probabilities`` map ('true', 'gold', '3')."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def probability_map(raw: np.ndarray, keys: list[str]) -> pa.MapArray:
    """A ``MAP(VARCHAR, DOUBLE)`` column: class -> probability, one map per row."""
    n, k = raw.shape
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    # The k keys repeated by index: no Python string per row.
    names = pa.array(keys, type=pa.string()).take(pa.array(np.tile(np.arange(k), n)))
    return pa.MapArray.from_arrays(offsets, names, pa.array(raw.ravel(), type=pa.float64()))


class Classification(Task):
    """Shared by binary and multiclass: classes encoded 0..k-1, probabilities predicted."""

    stratify = True
    is_classification = True
    estimator_score = "accuracy"

    @staticmethod
    def encode(column: pa.ChunkedArray, cfg: AutomlConfig) -> tuple[Task, Target]:
        """Encode the label as classes 0..k-1 (positive class last for binary).

        Classes with fewer than MIN_CLASS_ROWS rows are left out while at least two
        classes remain (their rows listed in ``Target.rows``); otherwise training stops.

        Raises:
            TrainingDataError: a single class, or only one class with enough rows.
        """
        import pandas as pd

        values = np.asarray(column.to_pylist(), dtype=object)
        counts = pd.Series(values).value_counts(sort=False)
        if len(counts) < 2:
            raise TrainingDataError(
                f"target has a single class ({values[0]!r}) in {len(values)} rows; a "
                "classifier needs two",
                "check the feature model's filters and the label logic upstream",
                model=cfg.model_name,
                column=cfg.target,
            )
        rare = {c: int(n) for c, n in counts.items() if n < MIN_CLASS_ROWS}
        if len(counts) - len(rare) < 2:
            raise TrainingDataError(
                f"class(es) {_describe(rare)} have fewer than {MIN_CLASS_ROWS} rows: too few "
                "to hold out test rows and validate on",
                "add labelled rows of those classes, or merge them with another class in "
                "the feature model",
                model=cfg.model_name,
                column=cfg.target,
            )
        rows = None
        if rare:
            rows = np.flatnonzero(~pd.Series(values).isin(list(rare)).to_numpy())
            values = values[rows]
        classes = _classes(values, cfg)
        lookup = {c: i for i, c in enumerate(classes)}
        y = np.fromiter((lookup[v] for v in values), dtype=int, count=len(values))
        task: Task = BinaryClassification() if len(classes) == 2 else MulticlassClassification()
        return task, Target(y, classes, rows, {class_key(c): n for c, n in rare.items()})

    def predict(self, estimator: Any, X: Any) -> np.ndarray:
        """Class probabilities (n, k)."""
        return np.asarray(estimator.predict_proba(X), dtype=float)

    def _calibrator(self) -> Calibrator:
        raise NotImplementedError

    def decide(
        self, oof: np.ndarray, y: np.ndarray, metric: Metric, cfg: AutomlConfig
    ) -> Decision:
        """A calibrator, kept when it improves out-of-fold log loss (``calibrate``)."""
        decision = Decision()
        if cfg.calibrate:
            calibrator, evidence = choose_calibrator(self._calibrator(), oof, y)
            decision.calibrator, decision.record["calibration"] = calibrator, evidence
        return decision

    def prediction_arrays(
        self,
        raw: np.ndarray,
        classes: Sequence[Any] | None,
        threshold: float | None,
        fields: list[pa.Field],
    ) -> list[pa.Array]:
        """prediction, the task's probability columns, probabilities (the map)."""
        keys = [class_key(c) for c in classes or []]
        labels = pa.array(list(classes or []), type=fields[0].type)
        prediction = labels.take(pa.array(self._index(raw, threshold)))
        return [prediction, *self._probability_columns(raw), probability_map(raw, keys)]

    def labels(
        self, raw: np.ndarray, classes: Sequence[Any] | None, threshold: float | None
    ) -> np.ndarray:
        """The predicted classes."""
        return np.asarray(classes, dtype=object)[self._index(raw, threshold)]

    def _index(self, raw: np.ndarray, threshold: float | None) -> np.ndarray:
        """The predicted class's position in ``classes``, per row."""
        raise NotImplementedError

    def _probability_columns(self, raw: np.ndarray) -> list[pa.Array]:
        return []


def _keys(classes: Sequence[Any] | None, k: int) -> list[str]:
    """Class labels as the ``probabilities`` map writes them (positions without classes)."""
    return [class_key(c) for c in classes] if classes is not None else [str(i) for i in range(k)]


def _describe(rare: dict[Any, int]) -> str:
    return ", ".join(f"{c!r} ({n} rows)" for c, n in rare.items())


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


class BinaryClassification(Classification):
    """Two classes: the positive class's probability and a threshold tuned out of fold."""

    name = "binary"
    target_type = "binary"
    default_metric = "roc_auc"
    metrics: ClassVar[dict[str, Metric]] = {
        "roc_auc": Metric("roc_auc", True, lambda y, p, t: skm().roc_auc_score(y, p[:, 1])),
        "pr_auc": Metric(
            "pr_auc", True, lambda y, p, t: skm().average_precision_score(y, p[:, 1])
        ),
        "log_loss": Metric("log_loss", False, lambda y, p, t: skm().log_loss(y, p, labels=[0, 1])),
        "f1": Metric("f1", True, lambda y, p, t: skm().f1_score(y, _binary_labels(p, t))),
        "accuracy": Metric(
            "accuracy",
            True,
            lambda y, p, t: skm().accuracy_score(y, _binary_labels(p, t)),
        ),
        "precision": Metric(
            "precision",
            True,
            lambda y, p, t: skm().precision_score(y, _binary_labels(p, t), zero_division=0),
        ),
        "recall": Metric(
            "recall", True, lambda y, p, t: skm().recall_score(y, _binary_labels(p, t))
        ),
    }

    def score(self, metric: Metric, y: np.ndarray, raw: np.ndarray) -> float:
        """The metric on validation predictions; F1 is taken at its best threshold."""
        threshold = best_f1_threshold(y, raw[:, 1]) if metric.name == "f1" else 0.5
        return float(metric.fn(y, raw, threshold))

    def _calibrator(self) -> Calibrator:
        return PlattCalibrator()

    def _probability_columns(self, raw: np.ndarray) -> list[pa.Array]:
        return [pa.array(raw[:, 1], type=pa.float64())]

    def decide(
        self, oof: np.ndarray, y: np.ndarray, metric: Metric, cfg: AutomlConfig
    ) -> Decision:
        """Calibration, then the threshold (costs, accuracy or F1) on calibrated scores."""
        decision = super().decide(oof, y, metric, cfg)
        if decision.calibrator is not None:
            oof = decision.calibrator.transform(oof)
        costs = dict(cfg.costs) if cfg.costs is not None else None
        threshold, why = tune_threshold(y, oof[:, 1], metric.name, costs)
        decision.threshold = threshold
        decision.record["threshold"] = {"value": threshold, "reason": why}
        return decision

    def curves(
        self,
        y: np.ndarray,
        raw: np.ndarray,
        threshold: float | None = None,
        classes: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """Calibration, ROC and PR curves, the confusion matrix at the threshold and the
        histogram of the positive class's probability, on the test predictions."""
        p_pos = raw[:, 1]
        keys = _keys(classes, raw.shape[1])
        return {
            "calibration_curve": calibration_curve(y, p_pos),
            "roc_curve": _curves.roc_points(y, p_pos),
            "pr_curve": _curves.pr_points(y, p_pos),
            "confusion_matrix": {
                "threshold": threshold,
                "cells": _curves.confusion_cells(y, self._index(raw, threshold), keys),
            },
            "prediction_distribution": _curves.histogram(p_pos, "probability", 0.0, 1.0),
        }

    def _index(self, raw: np.ndarray, threshold: float | None) -> np.ndarray:
        """The positive class (1) where its probability reaches the threshold."""
        cut = 0.5 if threshold is None else threshold
        return (raw[:, 1] >= cut).astype(np.int64)

    def prediction_fields(self, label_type: pa.DataType) -> list[pa.Field]:
        """prediction (the target's type), probability, probabilities."""
        return [
            pa.field("prediction", label_type),
            pa.field("probability", pa.float64()),
            pa.field("probabilities", pa.map_(pa.string(), pa.float64())),
        ]

    def column_signal(
        self, values: np.ndarray, numbers: np.ndarray | None, rows: _signal.SignalRows
    ) -> tuple[str, float] | None:
        """ROC AUC of the column (of its out-of-fold level rates for categories)."""
        import pandas as pd

        y = rows.y
        if numbers is None:
            codes = pd.factorize(values)[0]
            return "ROC AUC", _signal.auc(_signal.oof_means(codes, y.astype(float), rows.half), y)
        return "ROC AUC", _signal.auc(np.nan_to_num(numbers, nan=-np.inf), y)  # missing: lowest


class MulticlassClassification(Classification):
    """Three classes or more: class probabilities, the most probable class predicted."""

    name = "multiclass"
    target_type = "multiclass"
    default_metric = "log_loss"
    metrics: ClassVar[dict[str, Metric]] = {
        "roc_auc": Metric("roc_auc", True, _multiclass_roc),
        "log_loss": Metric(
            "log_loss",
            False,
            lambda y, p, t: skm().log_loss(y, p, labels=np.arange(p.shape[1])),
        ),
        "f1": Metric("f1", True, lambda y, p, t: skm().f1_score(y, p.argmax(1), average="macro")),
        "accuracy": Metric("accuracy", True, lambda y, p, t: skm().accuracy_score(y, p.argmax(1))),
        "precision": Metric(
            "precision",
            True,
            lambda y, p, t: skm().precision_score(
                y, p.argmax(1), average="macro", zero_division=0
            ),
        ),
        "recall": Metric(
            "recall",
            True,
            lambda y, p, t: skm().recall_score(y, p.argmax(1), average="macro", zero_division=0),
        ),
    }

    def _calibrator(self) -> Calibrator:
        return TemperatureCalibrator()

    def _index(self, raw: np.ndarray, threshold: float | None) -> np.ndarray:
        """The most probable class."""
        return np.asarray(raw.argmax(axis=1), dtype=np.int64)

    def curves(
        self,
        y: np.ndarray,
        raw: np.ndarray,
        threshold: float | None = None,
        classes: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """The confusion matrix of the most probable class and the share of test rows
        predicted as each class."""
        keys = _keys(classes, raw.shape[1])
        predicted = self._index(raw, threshold)
        return {
            "confusion_matrix": {
                "threshold": None,
                "cells": _curves.confusion_cells(y, predicted, keys),
            },
            "prediction_distribution": _curves.class_shares(predicted, keys),
        }

    def prediction_fields(self, label_type: pa.DataType) -> list[pa.Field]:
        """prediction (the target's type), probabilities."""
        return [
            pa.field("prediction", label_type),
            pa.field("probabilities", pa.map_(pa.string(), pa.float64())),
        ]

    def column_signal(
        self, values: np.ndarray, numbers: np.ndarray | None, rows: _signal.SignalRows
    ) -> tuple[str, float] | None:
        """Accuracy of the column's out-of-fold majority class (or nearest value)."""
        import pandas as pd

        y = rows.y.astype(int)
        if pd.Series(values).nunique(dropna=False) < MULTICLASS_MAX_UNIQUE_SHARE * len(values):
            codes = pd.factorize(values, use_na_sentinel=False)[0]
            predicted = _signal.majority_map(codes, y, rows.half)
        elif numbers is not None:
            predicted = _signal.nearest_value(numbers, y, rows.half)
        else:
            return None
        return "accuracy", _signal.accuracy_beyond_majority(predicted, y)
