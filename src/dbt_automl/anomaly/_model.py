"""The trained detector a registry version holds, and how it scores rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.anomaly._config import ENSEMBLE
from dbt_automl.anomaly._families import Ecdf, Family

SCORE, FLAG, RAW = "anomaly_score", "is_anomaly", "raw_score"
# Scores are counts over training rows divided by their number; 1 - contamination can
# land a rounding error below the score of the row it is meant to flag.
FLAG_TOLERANCE = 1e-9


def rank_average(ranks: dict[str, Ecdf], raw: dict[str, np.ndarray]) -> np.ndarray:
    """The ensemble's raw score: each family's score as its mid-rank among training rows
    (a share in [0, 1]), averaged. Ranks put families with unlike scales on one footing,
    and an average of ranks is robust where no single detector is best (ADBench, 2022)."""
    return np.mean([ranks[name].mid(raw[name]) for name in ranks], axis=0)


@dataclass
class AnomalyModel:
    """Featurizer, the fitted families the chosen detector needs, and the calibration.

    ``detector`` is a family name or ``ensemble`` (the rank average of ``families``).
    ``anomaly_score`` is the share of training rows whose raw score is lower, read from
    ``calibration`` (a quantile table, not the training scores): 0.99 means more unusual
    than 99 % of training rows. A row is flagged when its score reaches ``threshold``.
    """

    model_name: str
    featurizer: Any
    detector: str
    families: dict[str, Family]
    ranks: dict[str, Ecdf]
    calibration: Ecdf
    threshold: float
    id_columns: tuple[str, ...] = ()
    label_column: str | None = None

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """The chosen detector's raw scores of a featurized matrix (higher = more unusual)."""
        raw = {name: family.score(X) for name, family in self.families.items()}
        if self.detector == ENSEMBLE:
            return rank_average(self.ranks, raw)
        return raw[self.detector]

    def detect(self, table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
        """Score rows: ``anomaly_score`` in [0, 1], ``is_anomaly``, ``raw_score``.

        Rows need the feature columns the model was trained on; id and label columns are
        not read. Each row's score depends on the row alone, whatever else is scored.

        Raises:
            SchemaMismatchError: a feature column is missing.
        """
        if table.num_rows == 0:
            return pd.DataFrame(
                {
                    SCORE: np.zeros(0),
                    FLAG: np.zeros(0, dtype=bool),
                    RAW: np.zeros(0),
                }
            )
        raw = self.raw_scores(self.featurizer.transform(table))
        score = self.calibration.less(raw)
        flag = score >= self.threshold - FLAG_TOLERANCE
        return pd.DataFrame({SCORE: score, FLAG: flag, RAW: raw})
