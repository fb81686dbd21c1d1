"""Plain-Python entry point: the same engine as the dbt python models, on a table in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._config import parse_config
from dbt_automl._log import Logger, get_logger
from dbt_automl._preprocess import to_frame
from dbt_automl._train import TrainResult, fit_automl


class FittedModel:
    """A trained model with everything the search decided, usable outside dbt.

    Attributes:
        result: the full training result (schema, search trials, test metrics, threshold).
    """

    def __init__(self, result: TrainResult) -> None:
        self.result = result

    @property
    def test_metrics(self) -> dict[str, float]:
        """Metrics on the held-out test split."""
        return self.result.test_metrics

    def _frame(self, data: pd.DataFrame | pa.Table) -> pd.DataFrame:
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data)
        return to_frame(table, self.result.schema)

    def predict_proba(self, data: pd.DataFrame | pa.Table) -> np.ndarray:
        """Class probabilities, columns in ``self.result.target.classes`` order."""
        return self.result.model.predict_raw(self._frame(data))

    def predict(self, data: pd.DataFrame | pa.Table) -> np.ndarray:
        """Predictions in the target's own values (labels or numbers)."""
        return self.result.model.predict(self._frame(data))


def fit(
    data: pd.DataFrame | pa.Table,
    settings: Mapping[str, Any],
    name: str = "model",
    log: Logger | None = None,
) -> FittedModel:
    """Train with the settings a model's ``meta.automl`` would hold, without dbt.

    Example::

        fitted = dbt_automl.fit(frame, {"target": "churned", "time_budget_s": 30})
        fitted.predict(new_rows)
    """
    table = (
        data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    )
    cfg = parse_config(settings, name)
    target = table[cfg.target]
    if target.null_count:  # unlabeled rows teach nothing
        table = table.filter(pc.is_valid(target))
    return FittedModel(fit_automl(table, cfg, log or get_logger()))
