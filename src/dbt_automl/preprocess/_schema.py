"""The feature schema: how every input column is typed, encoded, or dropped and why.

The same :class:`FeatureSchema` turns Arrow data into a frame at training and at scoring
(:func:`dbt_automl.preprocess.to_frame`), so the fitted pipeline always sees identical
columns and dtypes. Decisions, per column:

- typing: Arrow types as they are; strings that are really numbers, dates or yes/no flags
  are read as such (``Column.parsed_as``, see :mod:`dbt_automl.preprocess._typing`);
- dropped, with the reason logged and recorded: unsupported types, all-missing and
  constant columns, id-like strings (> 50 distinct and > 90% unique, free text excepted),
  whole-number codes stored as text, and unique consecutive integers (row numbers);
- numbers: clipped to the training 0.5%/99.5% quantiles (infinities too), median-imputed
  with a missing indicator for each column that had missing values in training,
  standardized;
- categories: one-hot up to 15 levels, out-of-fold target encoding beyond; rare levels
  (and levels unseen in training) grouped into one;
- dates: calendar and cyclical parts, days before the latest training date;
- leakage: :func:`leakage_warnings` names features that alone are near-perfect;
- :func:`describe_fitted` reports what a fitted preprocessor decided, for metadata.
- free text: TF-IDF reduced by truncated SVD to at most 50 dense columns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.preprocess._typing import detect, looks_like_text

ONE_HOT_MAX_LEVELS = 15
ID_LIKE_UNIQUE_RATIO = 0.9
ID_LIKE_MIN_DISTINCT = 50
SEQUENCE_MAX_SPAN = 1.1  # unique integers spanning <= 1.1 x their count: a row number
ENCODINGS = {"numeric": "scaled", "boolean": "scaled", "datetime": "date_parts"}


@dataclass(frozen=True)
class Column:
    """One input column: its name, its types and how the engine encodes it.

    ``kind`` is the kind Arrow sees (what scoring checks); ``parsed_as`` is set when a string
    column is read as something else, with ``parse_format`` saying how (e.g. ``%d/%m/%Y``).
    """

    name: str
    arrow_type: str
    kind: str  # numeric | boolean | categorical | datetime
    encoding: str  # scaled | one_hot | target | date_parts | tfidf
    parsed_as: str | None = None  # numeric | boolean | datetime, for string columns
    parse_format: str | None = None

    @property
    def reads_as(self) -> str:
        """The kind the model sees: ``parsed_as`` if set, else ``kind``."""
        return self.parsed_as or self.kind


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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for metadata.json."""
        return {
            "columns": [asdict(c) for c in self.columns],
            "dropped": [asdict(d) for d in self.dropped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSchema:
        """Inverse of :meth:`to_dict` (also reads dicts written before optional fields)."""
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
    for name in table.column_names:
        decision = _type_column(name, table[name], table.num_rows)
        if isinstance(decision, Column):
            columns.append(decision)
        else:
            dropped.append(decision)
    return FeatureSchema(tuple(columns), tuple(dropped))


def _type_column(name: str, values: pa.ChunkedArray, n_rows: int) -> Column | Dropped:
    kind = kind_of(values.type)
    if kind is None:
        return Dropped(name, f"unsupported type {values.type}")
    arrow_type = str(values.type)
    if pa.types.is_dictionary(values.type):  # most kernels want the plain values
        values = pc.cast(values, values.type.value_type)
    n_unique = pc.count_distinct(values).as_py()
    if n_unique == 0:
        return Dropped(name, "all values missing")
    # One value plus nulls is a flag (only its missingness varies), so it stays.
    if n_unique == 1 and values.null_count == 0:
        return Dropped(name, "constant (a single distinct value)")
    if kind == "categorical":
        return _type_strings(name, arrow_type, values, n_unique, n_rows)
    if pa.types.is_integer(values.type) and _is_sequence(values, n_unique, n_rows):
        return Dropped(name, f"id-like (unique consecutive integers, {n_unique} in {n_rows} rows)")
    return Column(name, arrow_type, kind, ENCODINGS[kind])


def _type_strings(
    name: str, arrow_type: str, values: pa.ChunkedArray, n_unique: int, n_rows: int
) -> Column | Dropped:
    id_like = n_unique > ID_LIKE_MIN_DISTINCT and n_unique / n_rows > ID_LIKE_UNIQUE_RATIO
    parsed = detect(values)
    if parsed is not None:
        # Unique whole numbers kept as text are references ("83741923"), not quantities.
        if id_like and parsed[0] == "numeric" and _whole_numbers(values):
            return Dropped(name, f"id-like (integer codes as text, {n_unique} in {n_rows} rows)")
        return Column(name, arrow_type, "categorical", ENCODINGS[parsed[0]], *parsed)
    # Text is unique per row like an id, yet useful: it is recognised before the id rule.
    if looks_like_text(values, n_unique, n_rows):
        return Column(name, arrow_type, "categorical", "tfidf")
    if id_like:
        return Dropped(name, f"id-like ({n_unique} distinct in {n_rows} rows)")
    encoding = "one_hot" if n_unique <= ONE_HOT_MAX_LEVELS else "target"
    return Column(name, arrow_type, "categorical", encoding)


def _whole_numbers(values: pa.ChunkedArray) -> bool:
    digits = pc.match_substring_regex(pc.cast(values, pa.string()), r"^\s*\d+\s*$")
    return bool(pc.all(digits).as_py())


def _is_sequence(values: pa.ChunkedArray, n_unique: int, n_rows: int) -> bool:
    if n_unique <= ID_LIKE_MIN_DISTINCT or n_unique < n_rows:
        return False
    bounds = pc.min_max(values).as_py()
    return bounds["max"] - bounds["min"] + 1 <= SEQUENCE_MAX_SPAN * n_unique
