"""The deployable model: fitted preprocessing, estimator and decision rule in one object."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer


class AutoMLModel:
    """Preprocessing + estimator + classes + threshold, so scoring replays training exactly.

    Args:
        preprocessor: the fitted ColumnTransformer (None when the estimator brings its own).
        estimator: the fitted estimator.
        kind: ``binary``, ``multiclass`` or ``regression``.
        classes: original class labels in the estimator's column order (classification).
        threshold: probability of ``classes[1]`` from which a binary row is positive.
        calibrator: maps raw probabilities to calibrated ones (fitted out of fold), or None.
    """

    def __init__(
        self,
        preprocessor: ColumnTransformer | None,
        estimator: BaseEstimator,
        kind: str,
        classes: list[Any] | None = None,
        threshold: float | None = None,
        calibrator: Any = None,
    ) -> None:
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.kind = kind
        self.classes = classes
        self.threshold = threshold
        self.calibrator = calibrator

    def predict_raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities (n, k) for classification, values (n,) for regression."""
        # A fold-bagged estimator carries one preprocessor per fold and takes the frame itself.
        X = frame if self.preprocessor is None else self.preprocessor.transform(frame)
        if self.kind == "regression":
            return np.asarray(self.estimator.predict(X), dtype=float)
        proba = np.asarray(self.estimator.predict_proba(X), dtype=float)
        return proba if self.calibrator is None else self.calibrator.transform(proba)

    def labels(self, raw: np.ndarray) -> np.ndarray:
        """Turn :meth:`predict_raw` output into predictions in the target's own values."""
        if self.kind == "regression":
            return raw
        assert self.classes is not None
        if self.kind == "binary":
            index = (raw[:, 1] >= self.threshold).astype(int)
        else:
            index = raw.argmax(axis=1)
        return np.asarray(self.classes, dtype=object)[index]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions in the target's own values."""
        return self.labels(self.predict_raw(frame))
