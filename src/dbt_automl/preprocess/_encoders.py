"""The engine's own transformers: clipping, rare-level grouping, date parts, text to dense.

Each learns its state in ``fit`` only (so the engine can fit it per CV fold on training rows)
and is a module-level scikit-learn transformer, so a fitted model pickles and replays as is.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from dbt_automl.preprocess._replay import MISSING, RARE, calendar_parts

__all__ = ["MISSING", "RARE", "DateParts", "QuantileClipper", "RareLevelGrouper", "TextToDense"]


def _names(X: object) -> np.ndarray | None:
    return np.asarray(list(X.columns), dtype=object) if isinstance(X, pd.DataFrame) else None


class QuantileClipper(TransformerMixin, BaseEstimator):
    """Clip each numeric column to quantiles learned in ``fit`` (robust outlier handling).

    A side whose quantile equals the median is bounded by the training minimum or maximum
    instead: in a 0/1 flag or a zero-inflated amount the rare tail *is* the signal, and
    clipping it to the median would erase the column.

    Infinities are outliers like any other: bounds are learned from finite values, and
    ``inf`` / ``-inf`` are clipped to them (to missing where a column has no finite value).
    """

    def __init__(self, lower: float = 0.005, upper: float = 0.995) -> None:
        self.lower = lower
        self.upper = upper

    def fit(self, X: np.ndarray, y: object = None) -> QuantileClipper:
        """Learn per-column bounds, ignoring missing values."""
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        infinite = np.isinf(X)
        self.n_infinite_ = infinite.sum(axis=0)
        finite = np.where(infinite, np.nan, X)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no bounds
            low, mid, high = np.nanquantile(finite, [self.lower, 0.5, self.upper], axis=0)
            low = np.where(low == mid, np.nanmin(finite, axis=0), low)
            high = np.where(high == mid, np.nanmax(finite, axis=0), high)
        self.low_ = np.nan_to_num(low, nan=-np.inf)
        self.high_ = np.nan_to_num(high, nan=np.inf)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Clip to the learned bounds; NaN stays NaN for the imputer, and so does an
        infinity no finite bound can hold."""
        clipped = np.clip(np.asarray(X, dtype=float), self.low_, self.high_)
        return np.where(np.isinf(clipped), np.nan, clipped)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names pass through unchanged."""
        return np.asarray(input_features, dtype=object)


class RareLevelGrouper(TransformerMixin, BaseEstimator):
    """Map levels seen fewer than ``max(min_count, min_share * rows)`` times to ``__rare__``.

    Levels unseen in training are rare too, so scoring never meets an unknown level it was not
    taught how to treat.
    """

    def __init__(self, min_count: int = 5, min_share: float = 0.0) -> None:
        self.min_count = min_count
        self.min_share = min_share

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> RareLevelGrouper:
        """Count the levels of every column and keep the frequent ones."""
        frame = pd.DataFrame(X)
        self.threshold_ = max(self.min_count, math.ceil(self.min_share * len(frame)))
        self.levels_: list[np.ndarray] = []
        self.n_seen_: list[int] = []
        for _, column in frame.items():
            counts = column.value_counts(dropna=False)
            self.levels_.append(np.asarray(counts.index[counts >= self.threshold_], dtype=object))
            self.n_seen_.append(len(counts))
        self.n_features_in_ = frame.shape[1]
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Object array with rare and unseen levels replaced by ``__rare__``."""
        frame = pd.DataFrame(X)
        out = np.empty(frame.shape, dtype=object)
        for i, (_, column) in enumerate(frame.items()):
            values = column.to_numpy(dtype=object)
            out[:, i] = np.where(column.isin(self.levels_[i]).to_numpy(), values, RARE)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names pass through unchanged."""
        return np.asarray(input_features, dtype=object)


class DateParts(TransformerMixin, BaseEstimator):
    """Expand datetime columns into calendar parts, cyclical parts and elapsed days.

    Per column: year, month, day of week, month and weekday as sin/cos, hour and its sin/cos
    (only when training timestamps carry a time of day), ``days_before_ref`` counted back from
    the latest training date (so no model depends on the epoch), and ``missing`` when training
    rows lacked the date.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> DateParts:
        """Learn each column's reference date, whether it has times, and missingness."""
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        self.reference_, self.has_time_, self.has_missing_ = [], [], []
        for name in self.feature_names_in_:
            ts = pd.DatetimeIndex(pd.to_datetime(X[name]))
            seen = ts[~ts.isna()]
            self.reference_.append(seen.max() if len(seen) else pd.Timestamp(0))
            self.has_time_.append(bool(((seen.hour != 0) | (seen.minute != 0)).any()))
            self.has_missing_.append(len(seen) < len(ts))
        return self

    def _parts(self, i: int) -> list[str]:
        parts = ["year", "month", "dayofweek", "month_sin", "month_cos", "dow_sin", "dow_cos"]
        if self.has_time_[i]:
            parts += ["hour", "hour_sin", "hour_cos"]
        parts.append("days_before_ref")
        return parts + (["missing"] if self.has_missing_[i] else [])

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """One float column per part; missing dates stay NaN for the imputer."""
        blocks = [self._column(i, X[name]) for i, name in enumerate(self.feature_names_in_)]
        return np.column_stack(blocks) if blocks else np.empty((len(X), 0))

    def _column(self, i: int, values: pd.Series) -> np.ndarray:
        ts = pd.DatetimeIndex(pd.to_datetime(values))
        every = calendar_parts(
            year=np.asarray(ts.year, float),
            month=np.asarray(ts.month, float),
            dow=np.asarray(ts.dayofweek, float),
            hour=np.asarray(ts.hour, float) + np.asarray(ts.minute, float) / 60,
            days_before_ref=np.asarray((self.reference_[i] - ts) / pd.Timedelta(days=1), float),
            missing=np.asarray(ts.isna(), float),
        )
        return np.column_stack([every[p] for p in self._parts(i)])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<column>__<part>`` for every part."""
        names = [f"{n}__{p}" for i, n in enumerate(self.feature_names_in_) for p in self._parts(i)]
        return np.asarray(names, dtype=object)


class TextToDense(TransformerMixin, BaseEstimator):
    """Free text to a few dense columns: TF-IDF then truncated SVD (latent semantic analysis).

    The vocabulary is bounded by ``max_features`` and words must occur in ``min_df`` rows;
    SVD keeps at most ``n_components`` columns per text column, so the output stays dense.
    """

    def __init__(
        self, max_features: int = 5000, n_components: int = 50, min_df: int = 2, seed: int = 0
    ) -> None:
        self.max_features = max_features
        self.n_components = n_components
        self.min_df = min_df
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: object = None) -> TextToDense:
        """Fit one vectorizer and one SVD per column."""
        frame = pd.DataFrame(X)
        self.feature_names_in_ = _names(X)
        self.models_ = [self._fit_one(_texts(column)) for _, column in frame.items()]
        return self

    def _fit_one(self, texts: np.ndarray) -> tuple:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        min_df = self.min_df if len(texts) >= 10 * self.min_df else 1
        vectorizer = TfidfVectorizer(
            max_features=self.max_features,
            min_df=min_df,
            sublinear_tf=True,
            strip_accents="unicode",
            dtype=np.float32,
        )
        try:
            tfidf = vectorizer.fit_transform(texts)
        except ValueError:  # empty vocabulary: no word in min_df rows
            return (None, None)
        if hasattr(vectorizer, "stop_words_"):  # pruned words, kept for introspection only,
            delattr(vectorizer, "stop_words_")  # would bloat the pickled model (sklearn < 1.8)
        k = min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
        if k < 1:
            return (vectorizer, None)
        return (vectorizer, TruncatedSVD(k, random_state=self.seed).fit(tfidf))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Dense float array, ``n_components`` (or fewer) columns per text column."""
        frame = pd.DataFrame(X)
        blocks = []
        for (vectorizer, svd), (_, column) in zip(self.models_, frame.items(), strict=True):
            if vectorizer is None:
                blocks.append(np.zeros((len(frame), 1)))
                continue
            tfidf = vectorizer.transform(_texts(column))
            dense = svd.transform(tfidf) if svd is not None else tfidf.toarray()
            blocks.append(np.asarray(dense, dtype=float))
        return np.column_stack(blocks) if blocks else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<column>__text<i>`` for every dense component."""
        names = input_features if input_features is not None else self.feature_names_in_
        if names is None:  # fitted on an array without column names
            names = [f"x{i}" for i in range(len(self.models_))]
        out = []
        for name, (vectorizer, svd) in zip(names, self.models_, strict=True):
            width = _width(vectorizer, svd)
            out += [f"{name}__text{i}" for i in range(width)]
        return np.asarray(out, dtype=object)


def _width(vectorizer: Any, svd: Any) -> int:
    if vectorizer is None:
        return 1
    if svd is not None:
        return int(svd.n_components)
    return len(vectorizer.vocabulary_)


def _texts(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=object)
    return np.where(pd.isna(values) | (values == MISSING), "", values).astype(str)
