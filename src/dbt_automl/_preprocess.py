"""Column typing and the scikit-learn transformers fitted with every model.

The same :class:`FeatureSchema` turns Arrow data into a frame at training and at scoring,
so the fitted pipeline always sees identical columns and dtypes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

MISSING = "__missing__"
ONE_HOT_MAX_LEVELS = 15
ID_LIKE_UNIQUE_RATIO = 0.9


@dataclass(frozen=True)
class Column:
    """One input column: its name, its types and how the engine encodes it."""

    name: str
    arrow_type: str
    kind: str  # numeric | boolean | categorical | datetime
    encoding: str  # scaled | one_hot | target | date_parts


@dataclass(frozen=True)
class Dropped:
    """A column the engine chose not to use, with the reason (recorded in metadata)."""

    name: str
    reason: str


@dataclass(frozen=True)
class FeatureSchema:
    """The columns a model uses, in order, and the ones it dropped."""

    columns: tuple[Column, ...]
    dropped: tuple[Dropped, ...] = ()

    def names(self) -> list[str]:
        """Feature column names in model order."""
        return [c.name for c in self.columns]

    def to_dict(self) -> dict:
        """A JSON-ready form for metadata.json."""
        return {
            "columns": [asdict(c) for c in self.columns],
            "dropped": [asdict(d) for d in self.dropped],
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSchema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(Column(**c) for c in data["columns"]),
            tuple(Dropped(**d) for d in data.get("dropped", [])),
        )


def kind_of(arrow_type: pa.DataType) -> str | None:
    """The engine's kind for an Arrow type, or None when it cannot be a feature."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "numeric"
    if pa.types.is_decimal(arrow_type):
        return "numeric"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "categorical"
    if pa.types.is_dictionary(arrow_type):
        return "categorical"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "datetime"
    return None


def infer_schema(table: pa.Table) -> FeatureSchema:
    """Type every column of ``table`` (features only) and choose its encoding."""
    columns: list[Column] = []
    dropped: list[Dropped] = []
    n_rows = max(table.num_rows, 1)
    for name, arrow_type in zip(table.column_names, table.schema.types, strict=True):
        kind = kind_of(arrow_type)
        if kind is None:
            dropped.append(Dropped(name, f"unsupported type {arrow_type}"))
            continue
        n_unique = pc.count_distinct(table[name]).as_py()
        if n_unique <= 1:
            dropped.append(Dropped(name, "constant (a single distinct value)"))
        elif kind == "categorical" and n_unique > 50 and n_unique / n_rows > ID_LIKE_UNIQUE_RATIO:
            dropped.append(Dropped(name, f"id-like ({n_unique} distinct in {n_rows} rows)"))
        else:
            columns.append(Column(name, str(arrow_type), kind, _encoding(kind, n_unique)))
    return FeatureSchema(tuple(columns), tuple(dropped))


def _encoding(kind: str, n_unique: int) -> str:
    if kind == "categorical":
        return "one_hot" if n_unique <= ONE_HOT_MAX_LEVELS else "target"
    if kind == "datetime":
        return "date_parts"
    return "scaled"


def to_frame(data: pa.Table | pa.RecordBatch, schema: FeatureSchema) -> pd.DataFrame:
    """Arrow data to the frame the pipeline expects: floats, object strings, datetimes."""
    out: dict[str, np.ndarray] = {}
    for col in schema.columns:
        arr = data.column(col.name)
        if col.kind in ("numeric", "boolean"):
            values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
            out[col.name] = np.asarray(values, dtype=float)
        elif col.kind == "categorical":
            values = pc.cast(arr, pa.string()).to_numpy(zero_copy_only=False).astype(object)
            values[pd.isna(values)] = MISSING
            out[col.name] = values
        else:
            out[col.name] = pd.to_datetime(
                pc.cast(arr, pa.timestamp("us")).to_numpy(zero_copy_only=False)
            )
    return pd.DataFrame(out)


class QuantileClipper(TransformerMixin, BaseEstimator):
    """Clip each numeric column to quantiles learned in ``fit`` (robust outlier handling)."""

    def __init__(self, lower: float = 0.005, upper: float = 0.995) -> None:
        self.lower = lower
        self.upper = upper

    def fit(self, X: np.ndarray, y: object = None) -> QuantileClipper:
        """Learn per-column bounds, ignoring missing values."""
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        with np.errstate(all="ignore"):
            self.low_ = np.nan_to_num(np.nanquantile(X, self.lower, axis=0), nan=-np.inf)
            self.high_ = np.nan_to_num(np.nanquantile(X, self.upper, axis=0), nan=np.inf)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Clip to the learned bounds; NaN stays NaN for the imputer."""
        return np.clip(np.asarray(X, dtype=float), self.low_, self.high_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names pass through unchanged."""
        return np.asarray(input_features, dtype=object)


class DateParts(TransformerMixin, BaseEstimator):
    """Expand datetime columns into year, month, day of week, hour and elapsed days."""

    PARTS = ("year", "month", "dayofweek", "hour", "days")

    def fit(self, X: pd.DataFrame, y: object = None) -> DateParts:
        """Remember the input columns (nothing to learn)."""
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """One float column per part; missing dates stay NaN for the imputer."""
        parts = []
        for name in self.feature_names_in_:
            ts = pd.DatetimeIndex(pd.to_datetime(X[name]))
            days = (ts - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            for values in (ts.year, ts.month, ts.dayofweek, ts.hour, days):
                parts.append(np.asarray(values, dtype=float))
        return np.column_stack(parts) if parts else np.empty((len(X), 0))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``<column>__<part>`` for every part."""
        return np.asarray(
            [f"{n}__{p}" for n in self.feature_names_in_ for p in self.PARTS], dtype=object
        )


def _cross_fit(kind: str, seed: int) -> KFold:
    splitter = KFold if kind == "regression" else StratifiedKFold
    return splitter(5, shuffle=True, random_state=seed)


TARGET_TYPES = {"binary": "binary", "multiclass": "multiclass", "regression": "continuous"}


def build_preprocessor(schema: FeatureSchema, kind: str, seed: int) -> ColumnTransformer:
    """The ColumnTransformer for a schema: one branch per encoding, dense float output."""
    by_encoding: dict[str, list[str]] = {}
    for col in schema.columns:
        by_encoding.setdefault(col.encoding, []).append(col.name)
    numeric = make_pipeline(
        QuantileClipper(),
        # Indicators let a model learn from missingness itself (e.g. no income reported).
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    )
    branches = {
        "scaled": numeric,
        "one_hot": OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
        ),
        # TargetEncoder cross-fits in fit_transform, so training rows never see their own label.
        "target": make_pipeline(
            TargetEncoder(target_type=TARGET_TYPES[kind], cv=_cross_fit(kind, seed)),
            StandardScaler(),
        ),
        "date_parts": make_pipeline(
            DateParts(),
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
        ),
    }
    transformers = [(enc, branches[enc], cols) for enc, cols in by_encoding.items()]
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
