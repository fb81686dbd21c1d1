"""Greedy weighted ensembles of the best trials (Caruana et al., 2004).

Members are chosen with replacement from the trials' out-of-fold predictions, one at a time,
each time adding the member that most improves the metric; weights are selection counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dbt_automl.search._study import Candidate
    from dbt_automl.tasks import Metric, Task

ROUNDS = 25
MAX_MEMBERS = 5


def greedy_weights(
    candidates: list[Candidate],
    y: np.ndarray,
    metric: Metric,
    task: Task,
    max_cost_us: float | None = None,
) -> tuple[dict[int, float], float]:
    """Ensemble weights by candidate index and the ensemble's validation score.

    Starts from the best single trial; stops early when no addition helps. At most
    MAX_MEMBERS distinct members, so the final refit stays affordable, and members whose
    prediction costs add up to at most ``max_cost_us`` per row, so scoring stays affordable.
    """
    sign = metric.sign
    counts = {0: 1}
    total = candidates[0].pred.copy()
    best_score = candidates[0].score
    for n in range(2, ROUNDS + 1):
        pick, pick_score = None, best_score
        cost = sum(candidates[i].cost_us for i in counts)
        for i, cand in enumerate(candidates):
            if i not in counts and len(counts) >= MAX_MEMBERS:
                continue
            if i not in counts and max_cost_us is not None and cost + cand.cost_us > max_cost_us:
                continue
            score = task.score(metric, y, (total + cand.pred) / n)
            if sign * score > sign * pick_score + 1e-12:
                pick, pick_score = i, score
        if pick is None:
            break
        counts[pick] = counts.get(pick, 0) + 1
        total += candidates[pick].pred
        best_score = pick_score
    size = sum(counts.values())
    return {i: c / size for i, c in counts.items()}, best_score


class WeightedEnsemble:
    """Weighted average of fitted estimators' probabilities (or values, for regression).

    A plain class, not a scikit-learn estimator: it is built from fitted members and never
    fitted or cloned itself.
    """

    def __init__(self, estimators: list[Any], weights: list[float]) -> None:
        self.estimators = estimators
        self.weights = weights

    def _average(self, X: np.ndarray, method: str) -> np.ndarray:
        parts = [
            w * getattr(e, method)(X) for e, w in zip(self.estimators, self.weights, strict=True)
        ]
        return np.sum(parts, axis=0)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Weighted mean of the members' class probabilities."""
        return self._average(X, "predict_proba")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Weighted mean of the members' predictions (regression)."""
        return self._average(X, "predict")


class PreparedFolds(list[np.ndarray]):
    """Rows already preprocessed by each fold's preprocessor, in fold order: what
    :class:`FoldBagged` predicts from on the Arrow scoring path."""


class FoldBagged:
    """Members' fold models averaged over folds, each fold with its own preprocessing.

    On small tables the k models fitted during cross-validation, averaged, generalise at
    least as well as one refit on all rows and vary less (AutoGluon's bagging); they also
    cost no extra fit. Works on raw frames: ``preprocessors[k]`` feeds every member's k-th
    model. A plain class, like :class:`WeightedEnsemble`.
    """

    def __init__(
        self, preprocessors: list[Any], members: list[list[Any]], weights: list[float]
    ) -> None:
        self.preprocessors = preprocessors
        self.members = members
        self.weights = weights

    def _average(self, frame: Any, method: str) -> np.ndarray:
        total: np.ndarray | None = None
        for k, pre in enumerate(self.preprocessors):
            X = frame[k] if isinstance(frame, PreparedFolds) else pre.transform(frame)
            for models, weight in zip(self.members, self.weights, strict=True):
                part = weight * getattr(models[k], method)(X)
                total = part if total is None else total + part
        assert total is not None
        return total / len(self.preprocessors)

    def predict_proba(self, frame: Any) -> np.ndarray:
        """Weighted, fold-averaged class probabilities."""
        return self._average(frame, "predict_proba")

    def predict(self, frame: Any) -> np.ndarray:
        """Weighted, fold-averaged predictions (regression)."""
        return self._average(frame, "predict")
