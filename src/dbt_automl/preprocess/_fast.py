"""The fitted preprocessing replayed on Arrow data with numpy: the scoring path.

:func:`dbt_automl.preprocess.to_frame` + ``ColumnTransformer.transform`` turn every string
into a Python object and hash it row by row (7 us a row on the demo's fraud features before
any model runs). Here categories are dictionary-encoded by Arrow and mapped to their codes by
one lookup per *distinct* value of a batch, and numeric branches run the fitted scikit-learn
steps on float matrices directly. The output equals the ColumnTransformer's (tested to
1e-12); free text still goes through its own pipeline (TF-IDF tokenises in Python anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from dbt_automl.preprocess._encoders import MISSING, RARE, DateParts, calendar_parts
from dbt_automl.preprocess._pipeline import _values, to_frame
from dbt_automl.preprocess._schema import Column, FeatureSchema

Data: TypeAlias = "pa.Table | pa.RecordBatch"
Branch: TypeAlias = "Callable[[Data], np.ndarray]"


class FastTransform:
    """``ColumnTransformer.transform(to_frame(data, schema))``, computed without a frame.

    Args:
        preprocessor: a fitted :func:`dbt_automl.preprocess.build_preprocessor` result.
        schema: the feature schema it was fitted with.
    """

    def __init__(self, preprocessor: ColumnTransformer, schema: FeatureSchema) -> None:
        by_name = {c.name: c for c in schema.columns}
        self.branches: list[Branch] = []
        for encoding, pipeline, names in preprocessor.transformers_:
            if isinstance(pipeline, str) or len(names) == 0:  # 'drop' / empty remainder
                continue
            columns = [by_name[name] for name in names]
            build = _BRANCHES.get(encoding, _fallback)
            self.branches.append(build(pipeline, columns))

    def transform(self, data: Data) -> np.ndarray:
        """The model's input matrix for ``data`` (float64, one row per input row)."""
        blocks = [branch(data) for branch in self.branches]
        if not blocks:
            return np.empty((data.num_rows, 0))
        return np.hstack(blocks) if len(blocks) > 1 else blocks[0]


def _steps(pipeline: Any) -> list[Any]:
    return [step for _, step in pipeline.steps]


def _matrix(data: Data, columns: Sequence[Column]) -> np.ndarray:
    return np.column_stack([_values(data.column(c.name), c) for c in columns])


def _replay(step: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A fitted numeric step as plain numpy: the same arithmetic, without scikit-learn's
    per-call validation (a millisecond a call, which the SQL function pays every 2,048
    rows)."""
    if isinstance(step, SimpleImputer):
        statistics = step.statistics_.astype(np.float64)
        flagged = [] if step.indicator_ is None else list(step.indicator_.features_)

        def impute(X: np.ndarray) -> np.ndarray:
            missing = np.isnan(X)
            filled = np.where(missing, statistics, X)
            if not flagged:
                return filled
            return np.hstack([filled, missing[:, flagged].astype(np.float64)])

        return impute
    if isinstance(step, StandardScaler):
        mean = step.mean_ if step.with_mean else None
        scale = step.scale_ if step.with_std else None

        def standardise(X: np.ndarray) -> np.ndarray:
            X = X - mean if mean is not None else X
            return X / scale if scale is not None else X

        return standardise
    return step.transform  # QuantileClipper: numpy already


def _scaled(pipeline: Any, columns: Sequence[Column]) -> Branch:
    # Clipper, imputer (with missing indicators) and scaler work on floats already.
    steps = [_replay(step) for step in _steps(pipeline)]

    def run(data: Data) -> np.ndarray:
        X = _matrix(data, columns)
        for step in steps:
            X = step(X)
        return np.asarray(X, dtype=np.float64)

    return run


def _dates(pipeline: Any, columns: Sequence[Column]) -> Branch:
    parts, *rest = _steps(pipeline)
    steps = [_replay(step) for step in rest]

    def run(data: Data) -> np.ndarray:
        blocks = [
            _date_parts(parts, i, _values(data.column(c.name), c)) for i, c in enumerate(columns)
        ]
        X = np.column_stack(blocks)
        for step in steps:
            X = step(X)
        return np.asarray(X, dtype=np.float64)

    return run


def _date_parts(parts: DateParts, i: int, stamps: np.ndarray) -> np.ndarray:
    """``DateParts._column`` on datetime64 values with numpy (pandas' calendar, no Index)."""
    us = stamps.astype("datetime64[us]")
    missing = np.isnat(us)
    days = us.astype("datetime64[D]")
    minutes = (us - days).astype("timedelta64[m]").astype(np.int64)
    reference = np.datetime64(parts.reference_[i].to_datetime64(), "us")

    def fields(values: np.ndarray) -> np.ndarray:  # NaN where the date is missing, as pandas
        return np.where(missing, np.nan, values.astype(np.float64))

    every = calendar_parts(
        year=fields(us.astype("datetime64[Y]").astype(np.int64) + 1970),
        month=fields(us.astype("datetime64[M]").astype(np.int64) % 12 + 1),
        dow=fields((days.astype(np.int64) + 3) % 7),  # 1970-01-01 was a Thursday
        hour=fields(minutes // 60) + fields(minutes % 60) / 60,
        days_before_ref=fields(np.asarray(reference - us).astype(np.int64)) / 86_400_000_000,
        missing=missing.astype(np.float64),
    )
    return np.column_stack([every[p] for p in parts._parts(i)])


class _Codes:
    """A string column's values -> category codes of one fitted encoder (-1: unknown), with
    the rare-level grouping that precedes the encoder folded in."""

    def __init__(self, levels: np.ndarray, categories: np.ndarray) -> None:
        index = {category: j for j, category in enumerate(categories.tolist())}
        self.rare = index.get(RARE, -1)
        self.lookup = {level: index.get(level, -1) for level in levels.tolist()}
        self.missing = self.lookup.get(MISSING, self.rare)

    def __call__(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        strings = pc.cast(values, pa.string())
        if isinstance(strings, pa.ChunkedArray):
            strings = strings.combine_chunks()
        encoded = pc.dictionary_encode(strings)
        # One dictionary lookup per distinct value of the batch, never one per row.
        mapped = np.asarray(
            [self.lookup.get(v, self.rare) for v in encoded.dictionary.to_pylist()] or [-1],
            dtype=np.int64,
        )
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        codes = mapped[np.nan_to_num(indices, nan=0).astype(np.int64)]
        if encoded.indices.null_count:
            codes[encoded.indices.is_null().to_numpy(zero_copy_only=False)] = self.missing
        return codes


def _one_hot(pipeline: Any, columns: Sequence[Column]) -> Branch:
    grouper, encoder = _steps(pipeline)
    maps = [_Codes(grouper.levels_[i], encoder.categories_[i]) for i in range(len(columns))]
    widths = [len(categories) for categories in encoder.categories_]
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)

    def run(data: Data) -> np.ndarray:
        out = np.zeros((data.num_rows, int(sum(widths))), dtype=np.float64)
        rows = np.arange(data.num_rows)
        for column, codes_of, offset in zip(columns, maps, offsets, strict=True):
            codes = codes_of(data.column(column.name))
            known = codes >= 0  # an unknown level encodes as all zeros ('ignore')
            out[rows[known], offset + codes[known]] = 1.0
        return out

    return run


def _target(pipeline: Any, columns: Sequence[Column]) -> Branch:
    grouper, encoder, *rest = _steps(pipeline)
    maps = [_Codes(grouper.levels_[i], encoder.categories_[i]) for i in range(len(columns))]
    multiclass = encoder.target_type_ == "multiclass"
    n_classes = len(encoder.classes_) if multiclass else 1
    steps = [_replay(step) for step in rest]

    def run(data: Data) -> np.ndarray:
        codes = np.column_stack(
            [m(data.column(c.name)) for m, c in zip(maps, columns, strict=True)]
        )
        X = np.empty((data.num_rows, len(encoder.encodings_)), dtype=np.float64)
        # TargetEncoder.transform's own loop: encodings are feature-major, classes inside.
        for e_idx, encoding in enumerate(encoder.encodings_):
            feature, mean_idx = divmod(e_idx, n_classes)
            known = codes[:, feature] >= 0
            X[known, e_idx] = encoding[codes[known, feature]]
            mean = encoder.target_mean_[mean_idx] if multiclass else encoder.target_mean_
            X[~known, e_idx] = mean
        for step in steps:
            X = step(X)
        return np.asarray(X, dtype=np.float64)

    return run


def _fallback(pipeline: Any, columns: Sequence[Column]) -> Branch:
    # Free text (TF-IDF): its vectoriser tokenises strings in Python whatever feeds it.
    schema = FeatureSchema(tuple(columns))

    def run(data: Data) -> np.ndarray:
        return np.asarray(pipeline.transform(to_frame(data, schema)), dtype=np.float64)

    return run


_BRANCHES: dict[str, Callable[[Any, Sequence[Column]], Branch]] = {
    "scaled": _scaled,
    "date_parts": _dates,
    "one_hot": _one_hot,
    "target": _target,
}
