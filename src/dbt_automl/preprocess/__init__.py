"""Preprocessing: column typing, encoders, leakage checks and the feature schema.

:func:`infer_schema` decides, once, how every input column is read and encoded (or why it
is dropped); :func:`to_frame` replays that reading on Arrow data at training and at
scoring; :func:`build_preprocessor` builds the transformers fitted with each model.
"""

from __future__ import annotations

from dbt_automl.preprocess._describe import describe_fitted
from dbt_automl.preprocess._encoders import (
    MISSING,
    RARE,
    DateParts,
    QuantileClipper,
    RareLevelGrouper,
    TextToDense,
)
from dbt_automl.preprocess._fast import FastTransform
from dbt_automl.preprocess._leakage import leakage_warnings
from dbt_automl.preprocess._pipeline import build_preprocessor, to_frame
from dbt_automl.preprocess._schema import Column, Dropped, FeatureSchema, infer_schema, kind_of

__all__ = [
    "MISSING",
    "RARE",
    "Column",
    "DateParts",
    "FastTransform",
    "Dropped",
    "FeatureSchema",
    "QuantileClipper",
    "RareLevelGrouper",
    "TextToDense",
    "build_preprocessor",
    "describe_fitted",
    "infer_schema",
    "kind_of",
    "leakage_warnings",
    "to_frame",
]
