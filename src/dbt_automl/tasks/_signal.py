"""How strongly one column alone predicts the target: the measures behind leakage warnings.

Raw values for numbers and dates; out-of-fold level statistics for categories (in-sample
level means would make any high-cardinality column look perfect).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MIN_ROWS = 30
MULTICLASS_ERROR_CUT = 0.2  # accuracy must remove 80% of the majority-class error


@dataclass
class SignalRows:
    """The sampled target and the random halves for out-of-fold checks."""

    y: np.ndarray
    half: np.ndarray

    @cached_property
    def ranks(self) -> np.ndarray:
        """Ranks of ``y`` (Spearman), computed once for every column."""
        return ranks(self.y)


def ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks, ties shared."""
    from scipy.stats import rankdata

    return np.asarray(rankdata(x))


def auc(x: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC of a score in either direction (Mann-Whitney U from average ranks)."""
    positive = y == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    u = ranks(x)[positive].sum() - n_pos * (n_pos + 1) / 2
    value = u / (n_pos * n_neg)
    return float(max(value, 1 - value))


def abs_spearman(x: np.ndarray, rows: SignalRows) -> float:
    """|Spearman correlation| of ``x`` with the target, ignoring missing ``x``."""
    keep = ~np.isnan(x)
    if keep.sum() < MIN_ROWS:
        return 0.0
    rx = ranks(x[keep])
    ry = rows.ranks if keep.all() else ranks(rows.y[keep])
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(abs(np.corrcoef(rx, ry)[0, 1]))


def oof_means(codes: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Each row's level mean of ``y``, learned on the other half of the rows."""
    out = np.empty(len(y))
    n_levels = int(codes.max()) + 1
    for learn, apply in ((half, ~half), (~half, half)):
        sums = np.bincount(codes[learn], weights=y[learn], minlength=n_levels)
        counts = np.bincount(codes[learn], minlength=n_levels)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), y[learn].mean())
        out[apply] = means[codes[apply]]
    return out


def majority_map(codes: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
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


def nearest_value(x: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
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


def accuracy_beyond_majority(predicted: np.ndarray, y: np.ndarray) -> float:
    """Accuracy, or 0 when it does not remove most of the majority-class error.

    A 99.5% majority class is not leakage, even though predicting it is 99.5% accurate.
    """
    accuracy = float(np.mean(predicted == y))
    baseline_error = 1 - np.bincount(y).max() / len(y)
    return accuracy if 1 - accuracy <= MULTICLASS_ERROR_CUT * baseline_error else 0.0
