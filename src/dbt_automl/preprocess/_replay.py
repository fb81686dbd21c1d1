"""Fitted preprocessing replayed on Arrow data with numpy: the scoring path's transforms.

:func:`dbt_automl.preprocess.to_frame` + ``ColumnTransformer.transform`` turn every string
into a Python object and hash it row by row (7 us a row on the demo's fraud features before
any model runs). Here categories are dictionary-encoded by Arrow and mapped to their codes by
one lookup per *distinct* value of a batch, and numeric branches replay the fitted steps'
arithmetic on float matrices. The output equals the ColumnTransformer's (tested to 1e-12).

This module imports numpy and pyarrow only, and a :class:`FastTransform` holds only numpy
state (free text aside, see :class:`Fallback`), so a pickled one loads without importing
scikit-learn: importing it (and scipy.stats through it) is ~1 s of every scoring process's
start-up. :mod:`dbt_automl.preprocess._fast` builds these from a fitted ColumnTransformer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.preprocess._schema import Column, FeatureSchema
from dbt_automl.preprocess._typing import parse

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

MISSING = "__missing__"
RARE = "__rare__"

Data: TypeAlias = "pa.Table | pa.RecordBatch"
Step: TypeAlias = "Callable[[np.ndarray], np.ndarray]"


def values_of(arr: pa.Array | pa.ChunkedArray, col: Column) -> np.ndarray:
    """A column as the pipeline reads it: floats, object strings (nulls as MISSING) or
    datetime64[us]; string columns typed as numbers, flags or dates parsed."""
    if col.parsed_as is not None:
        return parse(arr, col.parsed_as, col.parse_format)
    if col.kind in ("numeric", "boolean"):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=float)
    if col.kind == "categorical":
        strings = pc.fill_null(pc.cast(arr, pa.string()), MISSING)
        return np.asarray(strings.to_numpy(zero_copy_only=False), dtype=object)
    stamps = pc.cast(arr, pa.timestamp("us")).to_numpy(zero_copy_only=False)
    return np.asarray(stamps, dtype="datetime64[us]")


def calendar_parts(
    year: np.ndarray,
    month: np.ndarray,
    dow: np.ndarray,
    hour: np.ndarray,
    days_before_ref: np.ndarray,
    missing: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every part :class:`dbt_automl.preprocess.DateParts` may output, from a date's fields
    as floats (NaN where the date is missing); shared by the frame path and this one."""
    return {
        "year": year,
        "month": month,
        "dayofweek": dow,
        "month_sin": np.sin(2 * np.pi * (month - 1) / 12),
        "month_cos": np.cos(2 * np.pi * (month - 1) / 12),
        "dow_sin": np.sin(2 * np.pi * dow / 7),
        "dow_cos": np.cos(2 * np.pi * dow / 7),
        "hour": np.floor(hour),
        "hour_sin": np.sin(2 * np.pi * hour / 24),
        "hour_cos": np.cos(2 * np.pi * hour / 24),
        "days_before_ref": days_before_ref,
        "missing": missing,
    }


class FastTransform:
    """``ColumnTransformer.transform(to_frame(data, schema))``, computed without a frame.

    Args:
        preprocessor: a fitted :func:`dbt_automl.preprocess.build_preprocessor` result.
        schema: the feature schema it was fitted with.
    """

    def __init__(self, preprocessor: ColumnTransformer, schema: FeatureSchema) -> None:
        from dbt_automl.preprocess._fast import branches_of

        self.branches: list[Callable[[Data], np.ndarray]] = branches_of(preprocessor, schema)

    def transform(self, data: Data) -> np.ndarray:
        """The model's input matrix for ``data`` (float64, one row per input row)."""
        blocks = [branch(data) for branch in self.branches]
        if not blocks:
            return np.empty((data.num_rows, 0))
        return np.hstack(blocks) if len(blocks) > 1 else blocks[0]


# Numeric steps: a fitted scikit-learn step's arithmetic, without its per-call validation
# (a millisecond a call, which the SQL function would pay every 2,048 rows).


class Impute:
    """``SimpleImputer.transform`` on floats: fill with the learned statistics, then the
    missing-indicator columns when the imputer adds them."""

    def __init__(self, statistics: np.ndarray, flagged: list[int]) -> None:
        self.statistics = statistics
        self.flagged = flagged

    def __call__(self, X: np.ndarray) -> np.ndarray:
        missing = np.isnan(X)
        filled = np.where(missing, self.statistics, X)
        if not self.flagged:
            return filled
        return np.hstack([filled, missing[:, self.flagged].astype(np.float64)])


class Standardise:
    """``StandardScaler.transform``: centre and scale by the learned mean and scale."""

    def __init__(self, mean: np.ndarray | None, scale: np.ndarray | None) -> None:
        self.mean = mean
        self.scale = scale

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = X - self.mean if self.mean is not None else X
        return X / self.scale if self.scale is not None else X


class Clip:
    """``QuantileClipper.transform``: clip to the learned bounds; infinities become NaN."""

    def __init__(self, low: np.ndarray, high: np.ndarray) -> None:
        self.low = low
        self.high = high

    def __call__(self, X: np.ndarray) -> np.ndarray:
        clipped = np.clip(np.asarray(X, dtype=float), self.low, self.high)
        return np.where(np.isinf(clipped), np.nan, clipped)


def _run(steps: Sequence[Step], X: np.ndarray) -> np.ndarray:
    for step in steps:
        X = step(X)
    return np.asarray(X, dtype=np.float64)


# Branches: one per encoding of the ColumnTransformer, each Arrow data -> float matrix.


class Scaled:
    """Numeric columns: clipper, imputer (with missing indicators) and scaler."""

    def __init__(self, columns: Sequence[Column], steps: Sequence[Step]) -> None:
        self.columns = list(columns)
        self.steps = list(steps)

    def __call__(self, data: Data) -> np.ndarray:
        X = np.column_stack([values_of(data.column(c.name), c) for c in self.columns])
        return _run(self.steps, X)


class Dates:
    """Date columns: ``DateParts`` on datetime64 values with numpy (pandas' calendar, no
    Index), then the numeric steps.

    Args:
        references: each column's reference date (the latest training date).
        parts: each column's parts, in ``DateParts``' output order.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        references: Sequence[np.datetime64],
        parts: Sequence[Sequence[str]],
        steps: Sequence[Step],
    ) -> None:
        self.columns = list(columns)
        self.references = list(references)
        self.parts = [list(p) for p in parts]
        self.steps = list(steps)

    def __call__(self, data: Data) -> np.ndarray:
        blocks = [
            self._parts(i, values_of(data.column(c.name), c)) for i, c in enumerate(self.columns)
        ]
        return _run(self.steps, np.column_stack(blocks))

    def _parts(self, i: int, stamps: np.ndarray) -> np.ndarray:
        us = stamps.astype("datetime64[us]")
        missing = np.isnat(us)
        days = us.astype("datetime64[D]")
        minutes = (us - days).astype("timedelta64[m]").astype(np.int64)

        def fields(values: np.ndarray) -> np.ndarray:  # NaN where the date is missing
            return np.where(missing, np.nan, values.astype(np.float64))

        every = calendar_parts(
            year=fields(us.astype("datetime64[Y]").astype(np.int64) + 1970),
            month=fields(us.astype("datetime64[M]").astype(np.int64) % 12 + 1),
            dow=fields((days.astype(np.int64) + 3) % 7),  # 1970-01-01 was a Thursday
            hour=fields(minutes // 60) + fields(minutes % 60) / 60,
            days_before_ref=fields(np.asarray(self.references[i] - us).astype(np.int64))
            / 86_400_000_000,
            missing=missing.astype(np.float64),
        )
        return np.column_stack([every[p] for p in self.parts[i]])


class Codes:
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


class OneHot:
    """Categorical columns one-hot encoded (an unknown level encodes as all zeros)."""

    def __init__(self, columns: Sequence[Column], codes: Sequence[Codes], widths: list[int]):
        self.columns = list(columns)
        self.codes = list(codes)
        self.widths = widths
        self.offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)

    def __call__(self, data: Data) -> np.ndarray:
        out = np.zeros((data.num_rows, int(sum(self.widths))), dtype=np.float64)
        rows = np.arange(data.num_rows)
        for column, codes_of, offset in zip(self.columns, self.codes, self.offsets, strict=True):
            codes = codes_of(data.column(column.name))
            known = codes >= 0
            out[rows[known], offset + codes[known]] = 1.0
        return out


class Target:
    """Categorical columns target-encoded (``TargetEncoder.transform``'s own loop:
    encodings are feature-major, classes inside), then the numeric steps."""

    def __init__(
        self,
        columns: Sequence[Column],
        codes: Sequence[Codes],
        encodings: Sequence[np.ndarray],
        target_mean: Any,
        n_classes: int,
        steps: Sequence[Step],
    ) -> None:
        self.columns = list(columns)
        self.codes = list(codes)
        self.encodings = list(encodings)
        self.target_mean = target_mean
        self.n_classes = n_classes  # 1 unless the target is multiclass
        self.steps = list(steps)

    def __call__(self, data: Data) -> np.ndarray:
        codes = np.column_stack(
            [m(data.column(c.name)) for m, c in zip(self.codes, self.columns, strict=True)]
        )
        X = np.empty((data.num_rows, len(self.encodings)), dtype=np.float64)
        for e_idx, encoding in enumerate(self.encodings):
            feature, mean_idx = divmod(e_idx, self.n_classes)
            known = codes[:, feature] >= 0
            X[known, e_idx] = encoding[codes[known, feature]]
            multiclass = self.n_classes > 1
            X[~known, e_idx] = self.target_mean[mean_idx] if multiclass else self.target_mean
        return _run(self.steps, X)


class Fallback:
    """A branch replayed through its own fitted pipeline on a frame: free text, whose
    TF-IDF vectoriser tokenises strings in Python whatever feeds it (this one keeps its
    scikit-learn objects)."""

    def __init__(self, pipeline: Any, columns: Sequence[Column]) -> None:
        self.pipeline = pipeline
        self.schema = FeatureSchema(tuple(columns))

    def __call__(self, data: Data) -> np.ndarray:
        from dbt_automl.preprocess._pipeline import to_frame

        return np.asarray(self.pipeline.transform(to_frame(data, self.schema)), dtype=np.float64)
