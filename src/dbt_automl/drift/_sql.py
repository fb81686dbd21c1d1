"""SQL pieces the profile and the comparison share: column kinds, literals, bin expressions.

Both sides bin a value with the same expression built from the profile, so a row falls in
the same bin at training and now.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

# DuckDB type ids (``DuckDBPyType.id``) by how a column is profiled.
INTEGER_TYPES = frozenset(
    {
        "tinyint",
        "smallint",
        "integer",
        "bigint",
        "hugeint",
        "utinyint",
        "usmallint",
        "uinteger",
        "ubigint",
        "uhugeint",
    }
)
FLOAT_TYPES = frozenset({"float", "double", "decimal"})
CATEGORY_TYPES = frozenset({"varchar", "boolean", "enum"})
# Not profiled (time moves forward by design), but their range is recorded.
TIME_TYPES = frozenset(
    {
        "date",
        "timestamp",
        "timestamp with time zone",
        "timestamp_ns",
        "timestamp_ms",
        "timestamp_s",
    }
)

OTHER = "__other__"  # categories past the recorded top ones, at training and now
UNSEEN = "__unseen__"  # values absent from a complete category list (training share 0)
RELATION = "dbt_automl_drift_rows"  # the name the relation has inside our queries


def fetch(rows: duckdb.DuckDBPyRelation, query: str) -> list[tuple[Any, ...]]:
    """Every row of ``query`` run over ``rows``, which it names ``RELATION``."""
    result = rows.query(RELATION, query)
    return [] if result is None else result.fetchall()


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def text(value: str) -> str:
    """A Python string as a DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


def number(value: float) -> str:
    """A finite float as an exact DuckDB double literal."""
    if not math.isfinite(value):
        raise ValueError(f"bin edges must be finite, got {value!r}")
    return f"{float(value)!r}::double"


def numeric_value(column: str) -> str:
    """The column as a double, NaN and infinities as NULL (they have no bin)."""
    # try_cast: a column that turned to text counts its unreadable values as missing.
    as_double = f"try_cast({quote(column)} as double)"
    return f"case when isfinite({as_double}) then {as_double} end"


def category_value(column: str) -> str:
    """The column as text (booleans read 'true' / 'false', integers their digits)."""
    return f"cast({quote(column)} as varchar)"


def numeric_histogram(value_sql: str, edges: Sequence[float]) -> str:
    """DuckDB's ``histogram(value, edges)``: a map from each edge to the count of values in
    (previous edge, edge], and from ``inf`` to the count above the last edge (present only
    when not zero). The outer bins are open-ended, so values beyond the training range land
    in the first or last bin; NULLs are not counted. Read it with :func:`bin_counts`."""
    listed = ", ".join(number(edge) for edge in edges)
    return f"histogram({value_sql}, [{listed}]::double[])"


def bin_counts(histogram: Mapping[float, int] | None, edges: Sequence[float]) -> list[int]:
    """The ``len(edges) + 1`` bin counts of a :func:`numeric_histogram` result."""
    found = histogram or {}
    return [int(found.get(float(edge), 0)) for edge in edges] + [int(found.get(math.inf, 0))]


def left_closed_bin(value_sql: str, edges: Sequence[float]) -> str:
    """The bin index of a value among ``len(edges) + 1`` bins [edges[i-1], edges[i]),
    numpy's convention, the outer bins open-ended; NULL stays NULL."""
    whens = " ".join(f"when {value_sql} < {number(e)} then {i}" for i, e in enumerate(edges))
    return f"case when {value_sql} is null then null {whens} else {len(edges)} end"


def category_bin(value_sql: str, categories: Sequence[str], rest: str) -> str:
    """The value itself when it is one of ``categories``, else ``rest``; NULL stays NULL."""
    if not categories:
        return f"case when {value_sql} is not null then {text(rest)} end"
    listed = ", ".join(text(c) for c in categories)
    return (
        f"case when {value_sql} is null then null "
        f"when {value_sql} in ({listed}) then {value_sql} else {text(rest)} end"
    )
