"""The few known outcomes (``label_column``): read them, let them choose the detector and
the threshold, and measure both honestly.

Labels are mostly null: a handful of confirmed frauds or failures among many unlabelled
rows. They never train a detector (every family is unsupervised); they only choose among
the fitted ones, and the measures they report are cross-validated over the labelled rows
whenever each class has at least two of them: on each fold the choice is made on the other
folds and measured on the held one, so the figures are not flattered by the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.errors import TrainingDataError

# A threshold chosen from labels never flags more than half the rows: the scores are
# shares of training rows, so a threshold of 0.5 flags half of them.
LOWEST_LABEL_THRESHOLD = 0.5
MAX_FOLDS = 5


@dataclass(frozen=True)
class Labels:
    """The labelled rows' positions in the training matrix and their outcomes."""

    rows: np.ndarray
    outcome: np.ndarray

    @property
    def n(self) -> int:
        """Labelled rows."""
        return len(self.rows)

    @property
    def n_anomalies(self) -> int:
        """Labelled rows known to be anomalies."""
        return int(self.outcome.sum())

    @property
    def usable(self) -> bool:
        """Whether both outcomes are present, so labels can rank and choose."""
        return 0 < self.n_anomalies < self.n


NO_LABELS = Labels(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))


def read_labels(table: pa.Table, column: str | None, model_name: str) -> Labels:
    """The non-null values of ``column`` (true or 1 = anomaly, false or 0 = normal).

    Raises:
        TrainingDataError: the column holds values other than booleans or 0 / 1.
    """
    if column is None:
        return NO_LABELS
    values = table.column(column)
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        distinct = set(pc.unique(values.drop_null()).to_pylist())
        if not distinct <= {0, 1}:
            raise TrainingDataError(
                f"labels must be true / false or 1 / 0 (null where unknown), found "
                f"{sorted(distinct)[:5]}",
                "cast the column to boolean in the feature model: true = anomaly",
                model=model_name,
                column=column,
                key="label_column",
            )
        values = pc.not_equal(values, 0)
    elif not pa.types.is_boolean(values.type):
        raise TrainingDataError(
            f"labels must be boolean or 0 / 1, got type {values.type}",
            "cast the column to boolean in the feature model: true = anomaly",
            model=model_name,
            column=column,
            key="label_column",
        )
    mask = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    outcome = np.asarray(values.to_numpy(zero_copy_only=False))[mask].astype(bool)
    return Labels(np.flatnonzero(mask), outcome)


def roc_auc(outcome: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when one outcome is missing."""
    from sklearn.metrics import roc_auc_score

    if outcome.all() or not outcome.any():
        return None
    return float(roc_auc_score(outcome, scores))


def average_precision(outcome: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision, or None without a known anomaly."""
    from sklearn.metrics import average_precision_score

    if not outcome.any():
        return None
    return float(average_precision_score(outcome, scores))


def at_threshold(outcome: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """Precision and recall of the flag (score >= threshold) on labelled rows; None where
    undefined (no labelled row flagged, no labelled anomaly)."""
    flagged = scores >= threshold
    hits = int((flagged & outcome).sum())
    return {
        "precision_at_flagged": hits / int(flagged.sum()) if flagged.any() else None,
        "recall_at_flagged": hits / int(outcome.sum()) if outcome.any() else None,
    }


def choose(candidates: dict[str, np.ndarray], outcome: np.ndarray, default: str) -> str:
    """The candidate with the best ROC AUC on labelled rows (average precision breaks
    ties; the unlabelled default wins a full tie)."""

    def key(name: str) -> tuple[float, float, bool]:
        scores = candidates[name]
        return (
            roc_auc(outcome, scores) or 0.0,
            average_precision(outcome, scores) or 0.0,
            name == default,
        )

    return max(candidates, key=key)


def best_f1_threshold(outcome: np.ndarray, scores: np.ndarray) -> float:
    """The threshold (one of the labelled anomalies' scores, at least
    LOWEST_LABEL_THRESHOLD) with the best F1 on labelled rows; ties keep the higher."""
    candidates = np.unique(np.maximum(scores[outcome], LOWEST_LABEL_THRESHOLD))
    best, best_f1 = float(candidates[-1]), -1.0
    for threshold in candidates[::-1]:
        flagged = scores >= threshold
        hits = (flagged & outcome).sum()
        f1 = 2 * hits / (flagged.sum() + outcome.sum())
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return best


def cross_validated(
    candidates: dict[str, np.ndarray],
    outcome: np.ndarray,
    default: str,
    threshold: float | None,
    seed: int,
) -> dict | None:
    """Choose a candidate (and, when ``threshold`` is None, a threshold) on all folds but
    one, measure on the held one; precision, recall and ROC AUC pooled over held folds.
    None when a class has fewer than two labelled rows."""
    from sklearn.model_selection import StratifiedKFold

    folds = min(MAX_FOLDS, int(outcome.sum()), int((~outcome).sum()))
    if folds < 2:
        return None
    held_scores = np.zeros(len(outcome))
    flagged = np.zeros(len(outcome), dtype=bool)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_rows, held in splitter.split(np.zeros(len(outcome)), outcome):
        name = choose({c: s[fit_rows] for c, s in candidates.items()}, outcome[fit_rows], default)
        scores = candidates[name]
        cut = threshold
        if cut is None:
            cut = best_f1_threshold(outcome[fit_rows], scores[fit_rows])
        held_scores[held] = scores[held]
        flagged[held] = scores[held] >= cut
    hits = int((flagged & outcome).sum())
    return {
        "folds": folds,
        "precision_at_flagged": hits / int(flagged.sum()) if flagged.any() else None,
        "recall_at_flagged": hits / int(outcome.sum()),
        "roc_auc": roc_auc(outcome, held_scores),
    }
