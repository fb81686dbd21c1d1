"""The deployable model: fitted preprocessing, estimator and decision rule in one object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from sklearn.compose import ColumnTransformer

    from dbt_automl.preprocess import FastTransform, FeatureSchema
    from dbt_automl.tasks import Task


class AutoMLModel:
    """Preprocessing + estimator + task + decision rule, so scoring replays training exactly.

    What a registry version holds. A plain class (the scikit-learn-contract estimator is
    :class:`dbt_automl.AutoML`, which trains one of these).

    Args:
        preprocessor: the fitted ColumnTransformer (None when the estimator brings its own).
        estimator: the fitted estimator (or an ensemble of them).
        task: the task, which turns raw predictions into labels.
        classes: original class labels in the estimator's column order (classification).
        threshold: probability of ``classes[1]`` from which a binary row is positive.
        calibrator: maps raw probabilities to calibrated ones (fitted out of fold), or None.
    """

    def __init__(
        self,
        preprocessor: ColumnTransformer | None,
        estimator: Any,
        task: Task,
        classes: list[Any] | None = None,
        threshold: float | None = None,
        calibrator: Any = None,
    ) -> None:
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.task = task
        self.classes = classes
        self.threshold = threshold
        self.calibrator = calibrator
        self._fast: list[FastTransform] | None = None  # built on first Arrow scoring

    def __getstate__(self) -> dict[str, Any]:
        # The fast transforms are derived from the preprocessors: rebuilt, never pickled.
        return {**self.__dict__, "_fast": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"_fast": None, **state})

    def predict_raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities (n, k) for classification, values (n,) for regression."""
        # A fold-bagged estimator carries one preprocessor per fold and takes the frame itself.
        X = frame if self.preprocessor is None else self.preprocessor.transform(frame)
        return self._decided(self.task.predict(self.estimator, X))

    def predict_raw_arrow(
        self, data: pa.Table | pa.RecordBatch, schema: FeatureSchema
    ) -> np.ndarray:
        """:meth:`predict_raw` on Arrow data, preprocessing replayed with numpy (the scoring
        path: no pandas frame of objects); equal to ``predict_raw(to_frame(data, schema))``."""
        from dbt_automl.preprocess import FastTransform
        from dbt_automl.search import PreparedFolds

        if self._fast is None:
            pres = [self.preprocessor] if self.preprocessor is not None else None
            pres = pres or list(self.estimator.preprocessors)
            self._fast = [FastTransform(pre, schema) for pre in pres]
        matrices = [fast.transform(data) for fast in self._fast]
        X = matrices[0] if self.preprocessor is not None else PreparedFolds(matrices)
        return self._decided(self.task.predict(self.estimator, X))

    def _decided(self, raw: np.ndarray) -> np.ndarray:
        return raw if self.calibrator is None else self.calibrator.transform(raw)

    def labels(self, raw: np.ndarray) -> np.ndarray:
        """Turn :meth:`predict_raw` output into predictions in the target's own values."""
        return self.task.labels(raw, self.classes, self.threshold)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions in the target's own values."""
        return self.labels(self.predict_raw(frame))
