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
        self._arrow: ArrowModel | None = None  # built on first Arrow scoring

    def __getstate__(self) -> dict[str, Any]:
        # The Arrow form is derived from the preprocessors: rebuilt, never pickled.
        return {**self.__dict__, "_arrow": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.pop("_fast", None)  # written by releases before the Arrow form
        self.__dict__.update({"_arrow": None, **state})

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
        if self._arrow is None:
            self._arrow = self.arrow(schema)
        return self._arrow.predict_raw_arrow(data)

    def arrow(self, schema: FeatureSchema) -> ArrowModel:
        """This model in its scoring form, reading Arrow data of ``schema``."""
        from dbt_automl.preprocess import FastTransform

        folds = self.preprocessor is None  # fold-bagged: one preprocessor per fold
        pres = list(self.estimator.preprocessors) if folds else [self.preprocessor]
        return ArrowModel(
            [FastTransform(pre, schema) for pre in pres],
            self.estimator,
            folds,
            self.task,
            self.classes,
            self.threshold,
            self.calibrator,
        )

    def _decided(self, raw: np.ndarray) -> np.ndarray:
        return raw if self.calibrator is None else self.calibrator.transform(raw)

    def labels(self, raw: np.ndarray) -> np.ndarray:
        """Turn :meth:`predict_raw` output into predictions in the target's own values."""
        return self.task.labels(raw, self.classes, self.threshold)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions in the target's own values."""
        return self.labels(self.predict_raw(frame))


class ArrowModel:
    """A model as scoring runs it: its preprocessing replayed on Arrow data with numpy
    (:class:`dbt_automl.preprocess.FastTransform`), then the estimator and decision rule.

    Holds numpy state only when its estimator's members do (scoring swaps them for twins):
    then it pickles, and loads, without scikit-learn.

    Args:
        transforms: one per preprocessor (one per fold when ``folds``).
        estimator: the fitted estimator, reading one matrix, or one per fold when ``folds``.
        folds: the estimator is fold-bagged (it reads ``PreparedFolds``).
        task, classes, threshold, calibrator: as :class:`AutoMLModel`'s.
    """

    def __init__(
        self,
        transforms: list[FastTransform],
        estimator: Any,
        folds: bool,
        task: Task,
        classes: list[Any] | None,
        threshold: float | None,
        calibrator: Any,
    ) -> None:
        self.transforms = transforms
        self.estimator = estimator
        self.folds = folds
        self.task = task
        self.classes = classes
        self.threshold = threshold
        self.calibrator = calibrator

    def matrices(self, data: pa.Table | pa.RecordBatch) -> Any:
        """The estimator's input for ``data``: a matrix, or ``PreparedFolds``."""
        from dbt_automl.search import PreparedFolds

        matrices = [transform.transform(data) for transform in self.transforms]
        return PreparedFolds(matrices) if self.folds else matrices[0]

    def predict_raw_arrow(self, data: pa.Table | pa.RecordBatch) -> np.ndarray:
        """Class probabilities (n, k) for classification, values (n,) for regression."""
        raw = self.task.predict(self.estimator, self.matrices(data))
        return raw if self.calibrator is None else self.calibrator.transform(raw)

    def labels(self, raw: np.ndarray) -> np.ndarray:
        """Turn :meth:`predict_raw_arrow` output into predictions in the target's values."""
        return self.task.labels(raw, self.classes, self.threshold)
