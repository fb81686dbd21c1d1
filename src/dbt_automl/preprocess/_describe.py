"""What a fitted preprocessor decided for every column, as JSON-ready metadata."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.compose import ColumnTransformer

if TYPE_CHECKING:
    from dbt_automl.preprocess._schema import FeatureSchema


def describe_fitted(preprocessor: ColumnTransformer, schema: FeatureSchema) -> dict[str, dict]:
    """Per-column decisions of a fitted :func:`build_preprocessor` result.

    Returns ``{column: {"kind", "parsed_as", "encoding", ...}}`` in model order, where the
    rest depends on the encoding: clip bounds, imputed median and missing indicator
    (``scaled``); levels seen, kept and grouped as rare (``one_hot``, ``target``); reference
    date and parts (``date_parts``); vocabulary and components (``tfidf``).

    Example::

        pre = build_preprocessor(schema, task, seed=0).fit(frame, y)
        metadata["preprocessing"] = describe_fitted(pre, schema)
    """
    out: dict[str, dict] = {
        c.name: {"kind": c.kind, "parsed_as": c.parsed_as, "encoding": c.encoding}
        for c in schema.columns
    }
    for encoding, fitted, names in preprocessor.transformers_:
        describe = _DESCRIBERS.get(encoding)
        if describe is None or isinstance(fitted, str):
            continue
        for name, details in zip(names, describe(fitted, len(names)), strict=True):
            out.setdefault(name, {}).update(details)
    return out


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _scaled(pipeline: Any, n: int) -> list[dict]:
    clipper, imputer = pipeline.steps[0][1], pipeline.steps[1][1]
    flagged = set()
    if getattr(imputer, "indicator_", None) is not None:
        flagged = {int(i) for i in imputer.indicator_.features_}
    return [
        {
            "clip": [_number(clipper.low_[i]), _number(clipper.high_[i])],
            "impute": {"strategy": "median", "value": _number(imputer.statistics_[i])},
            "missing_indicator": i in flagged,
            "infinite_values": int(clipper.n_infinite_[i]),
        }
        for i in range(n)
    ]


def _levels(pipeline: Any, n: int) -> list[dict]:
    grouper = pipeline.steps[0][1]
    return [
        {
            "levels": grouper.n_seen_[i],
            "kept": len(grouper.levels_[i]),
            "grouped_as_rare": grouper.n_seen_[i] - len(grouper.levels_[i]),
            "rare_below_count": grouper.threshold_,
        }
        for i in range(n)
    ]


def _dates(pipeline: Any, n: int) -> list[dict]:
    parts = pipeline.steps[0][1]
    return [
        {"reference": parts.reference_[i].isoformat(), "parts": parts._parts(i)} for i in range(n)
    ]


def _text(pipeline: Any, n: int) -> list[dict]:
    found = []
    for vectorizer, svd in pipeline.steps[0][1].models_:
        vocabulary = 0 if vectorizer is None else len(vectorizer.vocabulary_)
        components = vocabulary if svd is None else int(svd.n_components)
        explained = None if svd is None else float(np.sum(svd.explained_variance_ratio_))
        found.append(
            {"vocabulary": vocabulary, "components": components, "explained_variance": explained}
        )
    return found


_DESCRIBERS: dict[str, Callable[[Any, int], list[dict]]] = {
    "scaled": _scaled,
    "one_hot": _levels,
    "target": _levels,
    "date_parts": _dates,
    "tfidf": _text,
}
