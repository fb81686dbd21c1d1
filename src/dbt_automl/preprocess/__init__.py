"""Preprocessing: column typing, encoders, leakage checks and the feature schema.

:func:`infer_schema` decides, once, how every input column is read and encoded (or why it
is dropped); :func:`to_frame` replays that reading on Arrow data at training and at
scoring; :func:`build_preprocessor` builds the transformers fitted with each model;
:class:`FastTransform` replays a fitted one on Arrow data for scoring.

The schema needs only pyarrow; everything else is imported on first use, so a build whose
models are all unchanged (it reads schemas, never fits) does not import scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dbt_automl.preprocess._schema import Column, Dropped, FeatureSchema, infer_schema, kind_of

if TYPE_CHECKING:
    from dbt_automl.preprocess._describe import describe_fitted
    from dbt_automl.preprocess._encoders import (
        DateParts,
        QuantileClipper,
        RareLevelGrouper,
        TextToDense,
    )
    from dbt_automl.preprocess._leakage import leakage_warnings
    from dbt_automl.preprocess._pipeline import build_preprocessor, to_frame, without_target
    from dbt_automl.preprocess._replay import MISSING, RARE, FastTransform
    from dbt_automl.preprocess._unsupervised import Featurizer

_LAZY = {
    "describe_fitted": "_describe",
    "MISSING": "_replay",
    "RARE": "_replay",
    "DateParts": "_encoders",
    "QuantileClipper": "_encoders",
    "RareLevelGrouper": "_encoders",
    "TextToDense": "_encoders",
    "FastTransform": "_replay",
    "Featurizer": "_unsupervised",
    "leakage_warnings": "_leakage",
    "build_preprocessor": "_pipeline",
    "to_frame": "_pipeline",
    "without_target": "_pipeline",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MISSING",
    "RARE",
    "Column",
    "DateParts",
    "Dropped",
    "FastTransform",
    "Featurizer",
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
    "without_target",
]
