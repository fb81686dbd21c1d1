"""Build the Arrow replay (:class:`dbt_automl.preprocess.FastTransform`) of a fitted
ColumnTransformer: each branch's fitted state copied into the numpy-only classes of
:mod:`dbt_automl.preprocess._replay`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from dbt_automl.preprocess._encoders import DateParts, QuantileClipper
from dbt_automl.preprocess._replay import (
    Clip,
    Codes,
    Dates,
    Fallback,
    Impute,
    OneHot,
    Scaled,
    Standardise,
    Step,
    Target,
)
from dbt_automl.preprocess._schema import Column, FeatureSchema

Branch = Callable[[Any], np.ndarray]


def branches_of(preprocessor: ColumnTransformer, schema: FeatureSchema) -> list[Branch]:
    """One replay branch per non-empty branch of the fitted ``preprocessor``."""
    by_name = {c.name: c for c in schema.columns}
    branches: list[Branch] = []
    for encoding, pipeline, names in preprocessor.transformers_:
        if isinstance(pipeline, str) or len(names) == 0:  # 'drop' / empty remainder
            continue
        build = _BRANCHES.get(encoding, Fallback)
        branches.append(build(pipeline, [by_name[name] for name in names]))
    return branches


def _steps(pipeline: Any) -> list[Any]:
    return [step for _, step in pipeline.steps]


def _replay(step: Any) -> Step:
    """A fitted numeric step as plain numpy: the same arithmetic."""
    if isinstance(step, SimpleImputer):
        flagged = [] if step.indicator_ is None else list(step.indicator_.features_)
        return Impute(step.statistics_.astype(np.float64), flagged)
    if isinstance(step, StandardScaler):
        return Standardise(
            step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None
        )
    if isinstance(step, QuantileClipper):
        return Clip(step.low_, step.high_)
    return step.transform


def _scaled(pipeline: Any, columns: Sequence[Column]) -> Branch:
    # Clipper, imputer (with missing indicators) and scaler work on floats already.
    return Scaled(columns, [_replay(step) for step in _steps(pipeline)])


def _dates(pipeline: Any, columns: Sequence[Column]) -> Branch:
    parts, *rest = _steps(pipeline)
    assert isinstance(parts, DateParts)
    references = [np.datetime64(ref.to_datetime64(), "us") for ref in parts.reference_]
    names = [parts._parts(i) for i in range(len(columns))]
    return Dates(columns, references, names, [_replay(step) for step in rest])


def _codes(grouper: Any, encoder: Any, n: int) -> list[Codes]:
    return [Codes(grouper.levels_[i], encoder.categories_[i]) for i in range(n)]


def _one_hot(pipeline: Any, columns: Sequence[Column]) -> Branch:
    grouper, encoder = _steps(pipeline)
    widths = [len(categories) for categories in encoder.categories_]
    return OneHot(columns, _codes(grouper, encoder, len(columns)), widths)


def _target(pipeline: Any, columns: Sequence[Column]) -> Branch:
    grouper, encoder, *rest = _steps(pipeline)
    multiclass = encoder.target_type_ == "multiclass"
    return Target(
        columns,
        _codes(grouper, encoder, len(columns)),
        encoder.encodings_,
        encoder.target_mean_,
        len(encoder.classes_) if multiclass else 1,
        [_replay(step) for step in rest],
    )


_BRANCHES: dict[str, Callable[[Any, Sequence[Column]], Branch]] = {
    "scaled": _scaled,
    "date_parts": _dates,
    "one_hot": _one_hot,
    "target": _target,
}
