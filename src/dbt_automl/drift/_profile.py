"""The training profile: per column, what the training rows looked like, computed in DuckDB.

Numerics get their deciles as bin edges and the share of rows in each bin, categories the
shares of their most frequent values; both get their null rate. Three aggregate queries
over the relation, whatever its size; the result is a small JSON-ready dict stored in the
version's metadata (``metadata["profile"]``), which :func:`compare` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from dbt_automl.drift._sql import (
    CATEGORY_TYPES,
    FLOAT_TYPES,
    INTEGER_TYPES,
    OTHER,
    RELATION,
    TIME_TYPES,
    bin_counts,
    category_value,
    fetch,
    numeric_histogram,
    numeric_value,
    quote,
)

PROFILE_FORMAT = 1
QUANTILES = [round(0.1 * i, 1) for i in range(1, 10)]  # deciles: up to 10 bins
TOP_CATEGORIES = 50  # categories kept by name; the rest share one bin, OTHER
# An integer column with this many distinct values or fewer is profiled as categories:
# deciles of a 3-valued column would merge values (90% of 2s put the 1s in their bin).
MAX_INTEGER_CATEGORIES = 20
NUMERIC_STATS = 6  # values per numeric column in the first scan


def training_profile(rows: duckdb.DuckDBPyRelation, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """A compact per-column profile of ``rows``, computed by SQL aggregates in DuckDB.

    Every column but ``exclude`` (ids, the target) is profiled by its type: numbers as
    ``numeric`` (decile edges, the share of non-null values in each bin, null rate, mean,
    std, min, max), text, booleans, enums and integers with at most
    ``MAX_INTEGER_CATEGORIES`` distinct values as ``categorical`` (the shares of the
    ``TOP_CATEGORIES`` most frequent values among non-null ones, the rest as
    ``"__other__"``, and the null rate). Dates, timestamps, lists and structs are listed
    under ``skipped``: a time column moves forward by design, so its drift says nothing;
    its ``min`` and ``max`` are kept (as ISO text), the training rows' time range. NaN and
    infinities count as missing.

    Example::

        profile = training_profile(con.table("customer_features"), exclude=["customer_id"])
        profile["columns"][0]  # {"name": "tenure_days", "kind": "numeric", "edges": [...]}
    """
    excluded = set(exclude)
    columns = [
        (name, str(dtype), dtype.id)
        for name, dtype in zip(rows.columns, rows.types, strict=True)
        if name not in excluded
    ]
    numbers = [n for n, _, i in columns if i in INTEGER_TYPES | FLOAT_TYPES]
    integers = {n for n, _, i in columns if i in INTEGER_TYPES}
    texts = [n for n, _, i in columns if i in CATEGORY_TYPES]
    times = [n for n, _, i in columns if i in TIME_TYPES]
    n_rows, counts, stats = _first_scan(rows, numbers, texts, integers, times)
    few_values = [n for n in numbers if stats[n]["distinct"] is not None]
    categorical = texts + few_values
    entries = {n: _numeric_entry(stats[n]) for n in numbers if n not in few_values}
    _add_bin_shares(rows, entries, counts)
    for name, top in _top_categories(rows, categorical).items():
        entries[name] = _categorical_entry(top, counts[name])
    for name, type_name, _ in columns:
        if name in entries:
            entries[name] = {
                "name": name,
                "type": type_name,
                **entries[name],
                "null_rate": 1.0 - counts[name] / n_rows if n_rows else None,
            }
    return {
        "format": PROFILE_FORMAT,
        "rows": n_rows,
        "columns": [entries[n] for n, _, _ in columns if n in entries],
        "skipped": [_skipped(n, t, stats.get(n)) for n, t, _ in columns if n not in entries],
    }


def _skipped(name: str, type_name: str, time_range: dict[str, Any] | None) -> dict[str, Any]:
    if time_range is None:
        return {"name": name, "type": type_name, "reason": "not a number, text, boolean or enum"}
    reason = "a time column moves forward by design: its range is kept, not its drift"
    return {"name": name, "type": type_name, "reason": reason, **time_range}


def _first_scan(
    rows: duckdb.DuckDBPyRelation,
    numbers: list[str],
    texts: list[str],
    integers: set[str],
    times: list[str],
) -> tuple[int, dict[str, int], dict[str, dict[str, Any]]]:
    """One scan: the row count, each column's non-null count, per numeric column its
    moments and deciles, and (integers) its distinct count when small, and per time column
    its first and last value."""
    parts = ["count(*)"] + [f"count({category_value(n)})" for n in texts]
    parts += [
        f"struct_pack(lo := min({quote(n)})::varchar, hi := max({quote(n)})::varchar)"
        for n in times
    ]
    for name in numbers:
        value = numeric_value(name)
        distinct = f"approx_count_distinct({value})" if name in integers else "null"
        parts += [
            f"count({value})",
            f"avg({value})",
            f"stddev_samp({value})",
            f"min({value})",
            f"max({value})",
            f"struct_pack(q := quantile_disc({value}, {QUANTILES}), d := {distinct})",
        ]
    [found] = fetch(rows, f"select {', '.join(parts)} from {RELATION}")
    counts = {name: int(found[1 + i]) for i, name in enumerate(texts)}
    stats: dict[str, dict[str, Any]] = {
        name: {"min": found[1 + len(texts) + i]["lo"], "max": found[1 + len(texts) + i]["hi"]}
        for i, name in enumerate(times)
    }
    start = 1 + len(texts) + len(times)
    for i, name in enumerate(numbers):
        count, mean, std, low, high, extra = found[start + NUMERIC_STATS * i :][:NUMERIC_STATS]
        counts[name] = int(count)
        distinct = extra["d"]
        stats[name] = {
            "mean": mean,
            "std": std,
            "min": low,
            "max": high,
            "edges": sorted({float(v) for v in extra["q"] or []}),
            "distinct": distinct
            if distinct is not None and distinct <= MAX_INTEGER_CATEGORIES
            else None,
        }
    return int(found[0]), counts, stats


def _numeric_entry(stats: dict[str, Any]) -> dict[str, Any]:
    # Repeated deciles (a point mass, e.g. 60% zeros) are one edge, so the mass stays in
    # one bin (edges are sorted and distinct).
    return {
        "kind": "numeric",
        "mean": stats["mean"],
        "std": stats["std"],
        "min": stats["min"],
        "max": stats["max"],
        "edges": stats["edges"],
        "shares": [],
    }


def _add_bin_shares(
    rows: duckdb.DuckDBPyRelation, entries: dict[str, dict[str, Any]], counts: dict[str, int]
) -> None:
    """One scan: the share of non-null values in each bin of every numeric column."""
    if not entries:
        return
    parts = [numeric_histogram(numeric_value(n), e["edges"]) for n, e in entries.items()]
    [found] = fetch(rows, f"select {', '.join(parts)} from {RELATION}")
    for (name, entry), histogram in zip(entries.items(), found, strict=True):
        present = counts[name]
        tally = bin_counts(histogram, entry["edges"])
        entry["shares"] = [n / present for n in tally] if present else []


def _top_categories(
    rows: duckdb.DuckDBPyRelation, names: list[str]
) -> dict[str, list[tuple[str, int, int]]]:
    """One statement: per column its ``TOP_CATEGORIES`` most frequent values as (value,
    count, distinct values in the column), most frequent first, ties by value."""
    if not names:
        return {}
    grouped = " union all ".join(
        f"select {i} as k, {category_value(name)} as value, count(*) as n from {RELATION} "
        f"where {category_value(name)} is not null group by all"
        for i, name in enumerate(names)
    )
    query = (
        f"select k, value, n, count(*) over (partition by k) as distinct_count "
        f"from ({grouped}) qualify row_number() over (partition by k order by n desc, value) "
        f"<= {TOP_CATEGORIES} order by k, n desc, value"
    )
    found: dict[str, list[tuple[str, int, int]]] = {name: [] for name in names}
    for k, value, n, distinct in fetch(rows, query):
        found[names[k]].append((value, int(n), int(distinct)))
    return found


def _categorical_entry(top: list[tuple[str, int, int]], present: int) -> dict[str, Any]:
    """Shares among non-null values; past ``TOP_CATEGORIES`` the rest is one OTHER bin."""
    categories = [value for value, _, _ in top]
    shares = [n / present for _, n, _ in top] if present else []
    distinct = top[0][2] if top else 0
    complete = distinct <= TOP_CATEGORIES
    if not complete:
        categories.append(OTHER)
        shares.append(max(0.0, 1.0 - sum(shares)))
    return {
        "kind": "categorical",
        "categories": categories,
        "shares": shares,
        "distinct": distinct,
        "complete": complete,
    }
