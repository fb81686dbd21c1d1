"""What a task is: its kind, its metrics and which way each metric points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

KINDS = ("binary", "multiclass", "regression")
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
ALL_METRICS = (
    "roc_auc",
    "pr_auc",
    "log_loss",
    "f1",
    "accuracy",
    "precision",
    "recall",
    "rmse",
    "mae",
    "r2",
)


@dataclass(frozen=True)
class Metric:
    """A metric: its name, direction and how to compute it from predictions."""

    name: str
    greater_is_better: bool
    fn: Callable[[np.ndarray, np.ndarray, float], float]


def _binary_labels(proba: np.ndarray, threshold: float) -> np.ndarray:
    return (proba[:, 1] >= threshold).astype(int)


def _multiclass_roc(y: np.ndarray, p: np.ndarray, _: float) -> float:
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    # Classes absent from y cannot be scored one-vs-rest; renormalise over those present.
    sub = p[:, present] / p[:, present].sum(axis=1, keepdims=True)
    if len(present) == 2:
        return float(skm.roc_auc_score(y == present[1], sub[:, 1]))
    return float(skm.roc_auc_score(y, sub, multi_class="ovr", labels=present))


BINARY = {
    "roc_auc": Metric("roc_auc", True, lambda y, p, t: skm.roc_auc_score(y, p[:, 1])),
    "pr_auc": Metric("pr_auc", True, lambda y, p, t: skm.average_precision_score(y, p[:, 1])),
    "log_loss": Metric("log_loss", False, lambda y, p, t: skm.log_loss(y, p, labels=[0, 1])),
    "f1": Metric("f1", True, lambda y, p, t: skm.f1_score(y, _binary_labels(p, t))),
    "accuracy": Metric(
        "accuracy", True, lambda y, p, t: skm.accuracy_score(y, _binary_labels(p, t))
    ),
    "precision": Metric(
        "precision",
        True,
        lambda y, p, t: skm.precision_score(y, _binary_labels(p, t), zero_division=0),
    ),
    "recall": Metric("recall", True, lambda y, p, t: skm.recall_score(y, _binary_labels(p, t))),
}

MULTICLASS = {
    "roc_auc": Metric("roc_auc", True, _multiclass_roc),
    "log_loss": Metric(
        "log_loss", False, lambda y, p, t: skm.log_loss(y, p, labels=np.arange(p.shape[1]))
    ),
    "f1": Metric("f1", True, lambda y, p, t: skm.f1_score(y, p.argmax(1), average="macro")),
    "accuracy": Metric("accuracy", True, lambda y, p, t: skm.accuracy_score(y, p.argmax(1))),
    "precision": Metric(
        "precision",
        True,
        lambda y, p, t: skm.precision_score(y, p.argmax(1), average="macro", zero_division=0),
    ),
    "recall": Metric(
        "recall",
        True,
        lambda y, p, t: skm.recall_score(y, p.argmax(1), average="macro", zero_division=0),
    ),
}

REGRESSION = {
    "rmse": Metric("rmse", False, lambda y, p, t: skm.root_mean_squared_error(y, p)),
    "mae": Metric("mae", False, lambda y, p, t: skm.mean_absolute_error(y, p)),
    "r2": Metric("r2", True, lambda y, p, t: skm.r2_score(y, p)),
}

METRICS = {"binary": BINARY, "multiclass": MULTICLASS, "regression": REGRESSION}


def metric_for(kind: str, name: str | None) -> Metric:
    """Return the metric called ``name`` for a task kind (its default when ``None``).

    Raises:
        KeyError: when the kind has no such metric; callers turn it into a ConfigError.
    """
    return METRICS[kind][name or DEFAULT_METRIC[kind]]


def evaluate(kind: str, y: np.ndarray, pred: np.ndarray, threshold: float = 0.5) -> dict:
    """Every metric of ``kind`` on ``y``; ``pred`` is probabilities or regression values."""
    return {name: float(m.fn(y, pred, threshold)) for name, m in METRICS[kind].items()}


def best_f1_threshold(y: np.ndarray, proba_pos: np.ndarray) -> float:
    """The decision threshold that maximises F1 on (validation) predictions.

    Rare positives (fraud) make 0.5 a poor cut: a model can rank well and still predict
    no positive at 0.5, so the threshold is tuned, never assumed.
    """
    precision, recall, thresholds = skm.precision_recall_curve(y, proba_pos)
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
