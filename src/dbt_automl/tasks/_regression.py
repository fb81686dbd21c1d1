"""Regression: a number predicted, judged by RMSE, MAE or R²."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.errors import TrainingDataError
from dbt_automl.tasks import _curves, _signal
from dbt_automl.tasks._base import Metric, Target, Task
from dbt_automl.tasks._base import sklearn_metrics as skm

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig


class Regression(Task):
    """A numeric target; predictions are numbers, with no decision rule."""

    name = "regression"
    target_type = "continuous"
    default_metric = "rmse"
    stratify = False
    is_classification = False
    estimator_score = "r2"
    metrics: ClassVar[dict[str, Metric]] = {
        "rmse": Metric("rmse", False, lambda y, p, t: skm().root_mean_squared_error(y, p)),
        "mae": Metric("mae", False, lambda y, p, t: skm().mean_absolute_error(y, p)),
        "r2": Metric("r2", True, lambda y, p, t: skm().r2_score(y, p)),
    }

    @staticmethod
    def encode(column: pa.ChunkedArray, cfg: AutomlConfig) -> tuple[Task, Target]:
        """The target as floats.

        Raises:
            TrainingDataError: the target is not a number, or holds NaN or infinity.
        """
        arrow_type = column.type
        numeric = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
        if not (numeric or pa.types.is_decimal(arrow_type)):
            raise TrainingDataError(
                f"task is regression but the target has type {arrow_type}",
                "cast it to a number in the feature model, or set `task: classification`",
                model=cfg.model_name,
                column=cfg.target,
            )
        y = pc.cast(column, pa.float64()).to_numpy()
        bad = int((~np.isfinite(y)).sum())
        if bad:
            raise TrainingDataError(
                f"the target holds {bad} NaN or infinite value(s); no model can learn or be "
                "scored on them",
                "filter those rows out (or cap the values) in the feature model",
                model=cfg.model_name,
                column=cfg.target,
            )
        return Regression(), Target(y)

    def predict(self, estimator: Any, X: Any) -> np.ndarray:
        """Predicted values (n,)."""
        return np.asarray(estimator.predict(X), dtype=float)

    def curves(
        self,
        y: np.ndarray,
        raw: np.ndarray,
        threshold: float | None = None,
        classes: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """Residuals by decile of the prediction and the histogram of the test
        predictions."""
        return {
            "residuals_by_decile": _curves.residuals_by_decile(y, raw),
            "prediction_distribution": _curves.histogram(
                raw, "value", float(raw.min()), float(raw.max())
            ),
        }

    def labels(
        self, raw: np.ndarray, classes: Sequence[Any] | None, threshold: float | None
    ) -> np.ndarray:
        """The values themselves."""
        return raw

    def prediction_fields(self, label_type: pa.DataType) -> list[pa.Field]:
        """prediction (a double)."""
        return [pa.field("prediction", pa.float64())]

    def prediction_arrays(
        self,
        raw: np.ndarray,
        classes: Sequence[Any] | None,
        threshold: float | None,
        fields: list[pa.Field],
    ) -> list[pa.Array]:
        """The predicted values."""
        return [pa.array(np.asarray(raw, dtype=np.float64), type=fields[0].type)]

    def column_signal(
        self, values: np.ndarray, numbers: np.ndarray | None, rows: _signal.SignalRows
    ) -> tuple[str, float] | None:
        """|Spearman| of the column (of its out-of-fold level means for categories)."""
        if numbers is None:
            import pandas as pd

            codes = pd.factorize(values)[0]
            numbers = _signal.oof_means(codes, rows.y.astype(float), rows.half)
        return "|Spearman|", _signal.abs_spearman(numbers, rows)
