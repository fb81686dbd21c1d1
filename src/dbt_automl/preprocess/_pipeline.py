"""From Arrow data to model input: the frame replayed at training and at scoring, and the
scikit-learn ColumnTransformer fitted with every model (one branch per encoding)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from dbt_automl.preprocess._encoders import (
    DateParts,
    QuantileClipper,
    RareLevelGrouper,
    TextToDense,
)
from dbt_automl.preprocess._replay import values_of
from dbt_automl.preprocess._schema import FeatureSchema

if TYPE_CHECKING:
    from dbt_automl.tasks import Task


def to_frame(data: pa.Table | pa.RecordBatch, schema: FeatureSchema) -> pd.DataFrame:
    """Arrow data to the frame the pipeline expects: floats, object strings, datetimes.

    String columns typed as numbers, flags or dates are parsed here, at training and at
    scoring alike; a value that does not parse becomes missing.
    """
    return pd.DataFrame({c.name: values_of(data.column(c.name), c) for c in schema.columns})


def _cross_fit(task: Task, seed: int) -> KFold | StratifiedKFold:
    splitter = StratifiedKFold if task.stratify else KFold
    return splitter(5, shuffle=True, random_state=seed)


def build_preprocessor(schema: FeatureSchema, task: Task | None, seed: int) -> ColumnTransformer:
    """The ColumnTransformer for a schema: one branch per encoding, dense float output.

    ``task`` is None for tasks without a target (clustering, anomaly detection), whose
    schemas have no target-encoded column (:func:`without_target`).
    """
    by_encoding: dict[str, list[str]] = {}
    for col in schema.columns:
        by_encoding.setdefault(col.encoding, []).append(col.name)
    branches = {
        "scaled": make_pipeline(
            QuantileClipper(),
            # Indicators (only for columns with missing values in training) let a model
            # learn from missingness itself, e.g. no income reported.
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
        ),
        "one_hot": make_pipeline(
            RareLevelGrouper(min_count=5, min_share=0.005),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        ),
        "date_parts": make_pipeline(
            DateParts(),
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
        ),
        "tfidf": make_pipeline(TextToDense(seed=seed), StandardScaler()),
    }
    if task is not None:
        # TargetEncoder cross-fits in fit_transform: training rows never see their own label.
        branches["target"] = make_pipeline(
            RareLevelGrouper(min_count=10),
            TargetEncoder(target_type=task.target_type, cv=_cross_fit(task, seed)),
            StandardScaler(),
        )
    transformers = [(enc, branches[enc], cols) for enc, cols in by_encoding.items()]
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)


def without_target(schema: FeatureSchema) -> FeatureSchema:
    """The schema for a task without a target: many-level categories are one-hot encoded
    (their rare levels grouped) instead of target encoded, which needs a label."""
    columns = tuple(
        replace(c, encoding="one_hot") if c.encoding == "target" else c for c in schema.columns
    )
    return FeatureSchema(columns, schema.dropped)
