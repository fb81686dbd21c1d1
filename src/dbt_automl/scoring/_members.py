"""Contributions of one fitted member of a final model, per input column (see
:mod:`dbt_automl.scoring._explain` for what they are relative to and why)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

EPS = 1e-12
Contributions = tuple[np.ndarray, np.ndarray]  # (n, columns) or (n, classes, columns); base


def native_kind(member: Any) -> str | None:
    """'lightgbm', 'catboost' or 'linear' for members with exact contributions, else None."""
    name = type(member).__name__
    if name in ("LGBMClassifier", "LGBMRegressor"):
        return "lightgbm"
    if name in ("CatBoostClassifier", "CatBoostRegressor"):
        return "catboost"
    if name in ("LogisticRegression", "Ridge"):
        return "linear"
    return None


def _split(out: np.ndarray, n_features: int) -> Contributions:
    """Tree SHAP output (..., features + 1) split into contributions and the bias."""
    return out[..., :n_features], out[..., n_features]


def _lightgbm(member: Any, X: np.ndarray, mean: np.ndarray, target: Any) -> Contributions:
    # The trees the model predicts with: early-stopped models stop at their best iteration.
    best = getattr(member, "best_iteration_", None) or None
    out = np.asarray(
        member.booster_.predict(X, num_iteration=best, pred_contrib=True, num_threads=1)
    )
    classes = getattr(member, "n_classes_", 2)
    if classes > 2:  # class-major blocks of (features + 1)
        out = out.reshape(len(X), classes, X.shape[1] + 1)
    return _split(out, X.shape[1])


def _catboost(member: Any, X: np.ndarray, mean: np.ndarray, target: Any) -> Contributions:
    from catboost import Pool

    out = member.get_feature_importance(Pool(X), type="ShapValues", thread_count=1)
    return _split(np.asarray(out, dtype=np.float64), X.shape[1])


def _linear(member: Any, X: np.ndarray, mean: np.ndarray, target: Any) -> Contributions:
    """coef * (x - mean) and intercept + coef . mean (multinomial: the target class's)."""
    coef = np.atleast_2d(np.asarray(member.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(member.intercept_, dtype=np.float64))
    centred = X - mean
    if len(intercept) == 1:  # binary (the positive class) or one regression target
        return centred * coef[0], np.full(len(X), intercept[0] + coef[0] @ mean)
    return centred * coef[target], intercept[target] + coef[target] @ mean


_NATIVE: dict[str, Callable[[Any, np.ndarray, np.ndarray, Any], Contributions]] = {
    "lightgbm": _lightgbm,
    "catboost": _catboost,
    "linear": _linear,
}


def member_contributions(
    member: Any,
    X: np.ndarray,
    target: np.ndarray | None,
    mean: np.ndarray,
    groups: list[np.ndarray],
    predictor: Any = None,
) -> Contributions:
    """(n, input columns) contributions of ``member`` on its encoded rows ``X`` to the
    raw score of class ``target`` per row (None: regression; binary: the positive class),
    and the baseline (n,). ``mean`` is the encoded training rows' mean; ``groups`` the
    encoded positions of each input column; ``predictor`` predicts as ``member`` does
    (its compiled twin) for the model-agnostic path."""
    kind = native_kind(member)
    if kind is None:
        scorer = _raw_score(member if predictor is None else predictor, target)
        return _permutation(scorer, X, mean, groups)
    phi, base = _NATIVE[kind](member, X, mean, target)
    if phi.ndim == 3:  # multiclass tree SHAP: the target class's block of each row
        rows = np.arange(len(X))
        phi, base = phi[rows, target], base[rows, target]
    return np.column_stack([phi[:, g].sum(axis=1) for g in groups]), np.asarray(base)


def _raw_score(member: Any, target: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """The member's raw score: log-odds (binary), log-probability of the target class
    (multiclass) or the value (regression)."""
    if target is None:
        return lambda Z: np.asarray(member.predict(Z), dtype=np.float64)

    def score(Z: np.ndarray) -> np.ndarray:
        p = np.clip(np.asarray(member.predict_proba(Z), dtype=np.float64), EPS, 1.0)
        if p.shape[1] == 2:
            return np.log(p[:, 1]) - np.log(p[:, 0])
        return np.log(p[np.arange(len(Z)), target])

    return score


def _permutation(
    score: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    mean: np.ndarray,
    groups: list[np.ndarray],
) -> Contributions:
    """Baseline Shapley values against the ``mean`` row on two antithetic orders: switching
    input columns from the mean to the row's values one at a time, each column is credited
    with the change it makes; the two orders' credits are averaged. They sum exactly to
    ``score(X) - score(mean)`` whatever the orders."""
    n = len(X)
    phi = np.zeros((n, len(groups)))
    base = score(np.tile(mean, (n, 1)))
    for order in (range(len(groups)), range(len(groups) - 1, -1, -1)):
        Z, previous = np.tile(mean, (n, 1)), base
        for c in order:
            if len(groups[c]) == 0:
                continue
            Z[:, groups[c]] = X[:, groups[c]]
            current = score(Z)
            phi[:, c] += (current - previous) / 2
            previous = current
    return phi, base
