"""Target-leakage warnings: a feature that alone is near-perfect was probably recorded after
the outcome (a cancellation date on a churn label, a refund amount on a fraud label).

Every check scores one column on its own: raw values for numbers and dates, out-of-fold
level statistics for categories (in-sample level means would make any high-cardinality
column look perfect). Checks read at most ``MAX_ROWS`` rows, so they take well under a
second on wide tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from dbt_automl._preprocess import FeatureSchema

LEAKAGE_SCORE = 0.99  # ROC AUC (binary), |Spearman| (regression), accuracy (multiclass)
MULTICLASS_ERROR_CUT = 0.2  # ...and the accuracy must remove 80% of the majority-class error
MULTICLASS_MAX_UNIQUE_SHARE = 0.5  # beyond it, numbers are checked by nearest neighbour
MAX_ROWS = 50_000
MIN_ROWS = 30
SPLIT_SEED = 20_240_611  # fixed, so warnings are reproducible; unrelated to the search seed


@dataclass(frozen=True)
class _Target:
    """The sampled target, the random halves for out-of-fold checks, ranks for Spearman."""

    y: np.ndarray
    kind: str
    half: np.ndarray
    ranks: np.ndarray | None = None


def leakage_warnings(
    frame: pd.DataFrame, y: np.ndarray, kind: str, schema: FeatureSchema
) -> list[str]:
    """One message per feature that alone predicts ``y`` almost perfectly.

    Args:
        frame: the features as :func:`dbt_automl._preprocess.to_frame` returns them.
        y: the encoded target (classes 0..k-1, positive class 1 for binary; floats for
            regression), aligned with ``frame`` by position.
        kind: ``binary``, ``multiclass`` or ``regression``.
        schema: the feature schema; free-text columns are not checked.

    Example::

        for message in leakage_warnings(frame, target.y, target.kind, schema):
            log.warning(f"{model_name}: {message}")
    """
    rng = np.random.default_rng(SPLIT_SEED)
    n = len(y)
    rows = np.sort(rng.permutation(n)[:MAX_ROWS]) if n > MAX_ROWS else np.arange(n)
    y = np.asarray(y)[rows]
    if len(y) < MIN_ROWS or len(np.unique(y)) < 2:
        return []
    target = _Target(
        y, kind, rng.random(len(y)) < 0.5, _ranks(y) if kind == "regression" else None
    )
    messages = []
    for col in schema.columns:
        if col.encoding == "tfidf" or col.name not in frame.columns:
            continue
        found = _score(frame[col.name].to_numpy()[rows], col.reads_as, target)
        if found is not None and found[1] >= LEAKAGE_SCORE:
            messages.append(
                f"column {col.name!r} looks like target leakage ({col.name!r} alone gives "
                f"{found[0]} {found[1]:.3f}): check it is known before the prediction time, "
                "or leave it out (meta.automl.exclude)"
            )
    return messages


def _score(values: np.ndarray, reads_as: str, target: _Target) -> tuple[str, float] | None:
    numbers = None if reads_as == "categorical" else _as_float(values)
    y, half = target.y, target.half
    if target.kind == "binary":
        if numbers is None:
            return "ROC AUC", _auc(_oof_means(pd.factorize(values)[0], y.astype(float), half), y)
        return "ROC AUC", _auc(np.nan_to_num(numbers, nan=-np.inf), y)  # missing ranks lowest
    if target.kind == "regression":
        if numbers is None:
            numbers = _oof_means(pd.factorize(values)[0], y.astype(float), half)
        return "|Spearman|", _abs_spearman(numbers, target)
    y_int = y.astype(int)
    if pd.Series(values).nunique(dropna=False) < MULTICLASS_MAX_UNIQUE_SHARE * len(values):
        predicted = _majority_map(pd.factorize(values, use_na_sentinel=False)[0], y_int, half)
    elif numbers is not None:
        predicted = _nearest_value(numbers, y_int, half)
    else:
        return None
    return "accuracy", _accuracy_beyond_majority(predicted, y_int)


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x)


def _as_float(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        stamps = values.astype("datetime64[us]")
        return np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(float))
    return np.asarray(values, dtype=float)


def _auc(x: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC of a score in either direction (Mann-Whitney U from average ranks)."""
    positive = y == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    u = _ranks(x)[positive].sum() - n_pos * (n_pos + 1) / 2
    auc = u / (n_pos * n_neg)
    return float(max(auc, 1 - auc))


def _abs_spearman(x: np.ndarray, target: _Target) -> float:
    keep = ~np.isnan(x)
    if keep.sum() < MIN_ROWS:
        return 0.0
    rx = _ranks(x[keep])
    ry = target.ranks if keep.all() and target.ranks is not None else _ranks(target.y[keep])
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(abs(np.corrcoef(rx, ry)[0, 1]))


def _oof_means(codes: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Each row's level mean of ``y``, learned on the other half of the rows."""
    out = np.empty(len(y))
    n_levels = int(codes.max()) + 1
    for learn, apply in ((half, ~half), (~half, half)):
        sums = np.bincount(codes[learn], weights=y[learn], minlength=n_levels)
        counts = np.bincount(codes[learn], minlength=n_levels)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), y[learn].mean())
        out[apply] = means[codes[apply]]
    return out


def _majority_map(codes: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Each row's prediction: its level's majority class, learned on the other half."""
    n_levels, k = int(codes.max()) + 1, int(y.max()) + 1
    predicted = np.empty(len(y), dtype=int)
    for learn, apply in ((half, ~half), (~half, half)):
        table = np.bincount(codes[learn] * k + y[learn], minlength=n_levels * k)
        table = table.reshape(n_levels, k)
        fallback = np.bincount(y[learn], minlength=k).argmax()
        majority = np.where(table.sum(axis=1) > 0, table.argmax(axis=1), fallback)
        predicted[apply] = majority[codes[apply]]
    return predicted


def _nearest_value(x: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Each row's prediction: the class of the nearest value in the other half (1-NN).

    One sort serves both halves: along sorted values, the nearest other-half neighbour is
    the closer of the last one before and the first one after.
    """
    predicted = np.full(len(y), -1)
    if np.isnan(x).all():
        return predicted
    x = np.where(np.isnan(x), np.nanmin(x) - 1, x)  # missing values as one low value
    order = np.argsort(x)
    xs, ys, hs, n = x[order], y[order], half[order], len(x)
    idx = np.arange(n)
    for learn in (hs, ~hs):
        before = np.maximum.accumulate(np.where(learn, idx, -1))
        after = np.minimum.accumulate(np.where(learn, idx, n)[::-1])[::-1]
        gap_before = np.where(before >= 0, xs - xs[np.maximum(before, 0)], np.inf)
        gap_after = np.where(after < n, xs[np.minimum(after, n - 1)] - xs, np.inf)
        nearest = np.where(gap_before <= gap_after, before, after)
        apply = ~learn & (nearest >= 0) & (nearest < n)
        predicted[order[apply]] = ys[nearest[apply]]
    return predicted


def _accuracy_beyond_majority(predicted: np.ndarray, y: np.ndarray) -> float:
    """Accuracy, or 0 when it does not remove most of the majority-class error.

    A 99.5% majority class is not leakage, even though predicting it is 99.5% accurate.
    """
    accuracy = float(np.mean(predicted == y))
    baseline_error = 1 - np.bincount(y).max() / len(y)
    return accuracy if 1 - accuracy <= MULTICLASS_ERROR_CUT * baseline_error else 0.0
