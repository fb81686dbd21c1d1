"""Preprocessing for tasks without a target (clustering, anomaly detection): the same
typing, clipping, imputation, scaling and one-hot encoding as the supervised tasks, fitted
once on the training rows and replayed on the rows scored."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl.errors import SchemaMismatchError, TrainingDataError
from dbt_automl.preprocess._encoders import QuantileClipper
from dbt_automl.preprocess._pipeline import build_preprocessor, to_frame, without_target
from dbt_automl.preprocess._schema import FeatureSchema, infer_schema


class Featurizer:
    """Arrow rows to a dense float matrix, every column on a comparable scale.

    Numbers are clipped to their training 0.5 % / 99.5 % quantiles, median-imputed (with a
    missing indicator where training had missing values) and standardised; categories are
    one-hot encoded with rare levels grouped; dates become calendar parts. Columns that
    cannot inform (constant, all missing, id-like) are dropped and the reason recorded.
    """

    def __init__(self, schema: FeatureSchema, preprocessor: Any, model_name: str) -> None:
        self.schema = schema
        self.preprocessor = preprocessor
        self.model_name = model_name
        self.names: list[str] = [str(n) for n in preprocessor.get_feature_names_out()]

    @classmethod
    def fit(
        cls, table: pa.Table, model_name: str, seed: int = 42, keep_extremes: bool = False
    ) -> tuple[Featurizer, np.ndarray]:
        """Type and encode ``table`` (feature columns only); returns the fitted featurizer
        and the training matrix.

        ``keep_extremes`` lets values past the training 0.5 % / 99.5 % quantiles through
        when transforming (scaling stays as fitted on clipped values, so it is robust to
        them): an anomaly detector looks for exactly the extremes clipping would erase (a
        50x amount would read as the 99.5th percentile).

        Raises:
            TrainingDataError: no column can be used (each dropped, with why).
        """
        schema = without_target(infer_schema(table))
        if not schema.columns:
            reasons = "; ".join(f"{d.name}: {d.reason}" for d in schema.dropped) or "no columns"
            raise TrainingDataError(
                f"no usable feature column ({reasons})",
                "give the feature model columns that vary between rows",
                model=model_name,
            )
        preprocessor = build_preprocessor(schema, None, seed)
        matrix = preprocessor.fit_transform(to_frame(table, schema))
        featurizer = cls(schema, preprocessor, model_name)
        if keep_extremes:
            featurizer._open_clipping()
            matrix = featurizer.transform(table)
        return featurizer, np.asarray(matrix, dtype=np.float64)

    def _open_clipping(self) -> None:
        for _, pipe, _ in self.preprocessor.transformers_:
            for _, step in getattr(pipe, "steps", []):
                if isinstance(step, QuantileClipper):
                    step.low_ = np.full_like(step.low_, -np.inf)
                    step.high_ = np.full_like(step.high_, np.inf)

    def transform(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """The matrix of new rows, encoded as the training rows were.

        Raises:
            SchemaMismatchError: a feature column the model uses is missing.
        """
        present = set(table.schema.names)
        for column in self.schema.columns:
            if column.name not in present:
                raise SchemaMismatchError(
                    "missing from the rows to score",
                    "select the same feature columns the model was trained on",
                    model=self.model_name,
                    column=column.name,
                )
        matrix = self.preprocessor.transform(to_frame(table, self.schema))
        return np.asarray(matrix, dtype=np.float64)

    def readable_names(self) -> list[str]:
        """Output column names an analyst reads: ``income``, ``region = north``."""
        return [_readable(n, self.schema) for n in self.names]

    def decisions(self) -> dict[str, Any]:
        """What was used, how it was encoded, and what was dropped and why."""
        return self.schema.to_dict()


def _readable(name: str, schema: FeatureSchema) -> str:
    # ColumnTransformer names are "<branch>__<column>[_<level>]".
    _, _, rest = name.partition("__")
    if rest.startswith("missingindicator_"):
        return f"{rest.removeprefix('missingindicator_')} is missing"
    for column in sorted(schema.columns, key=lambda c: -len(c.name)):
        if rest == column.name:
            return rest
        if rest.startswith(column.name + "_") and column.encoding == "one_hot":
            return f"{column.name} = {rest[len(column.name) + 1 :]}"
    return rest
