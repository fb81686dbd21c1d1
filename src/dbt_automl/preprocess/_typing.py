"""Typing through strings: numbers, dates and yes/no flags stored as text, and free text.

Detection runs once, on the training table (``infer_schema``). Parsing runs in ``to_frame``
at training and at scoring with the format that detection recorded, so both read a value
the same way. A value that does not parse at scoring becomes missing, never an error: one
odd row must not stop a scoring batch.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PARSE_MIN_SHARE = 0.99  # share of non-blank values that must parse for a column to be retyped
SAMPLE_ROWS = 50_000  # detection reads at most this many values, evenly spaced
TRUE_WORDS = ["y", "yes", "true", "t", "1"]
FALSE_WORDS = ["n", "no", "false", "f", "0"]
# Blank-like tokens are missing values, not evidence against a type ("N/A" in a price column).
NULL_WORDS = ["", "na", "n/a", "null", "none", "nan", "-", "?"]
NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
GROUPED_RE = r"^[+-]?[$€£]?\d{1,3}(,\d{3})*(\.\d+)?%?$"  # "$1,234.50", "12%"
GROUPING_CHARS_RE = r"[$€£,%]"
CODE_RE = r"^0\d"  # "02139", "007": codes whose leading zeros matter, not quantities
ISO_DATE_RE = r"^\d{4}-\d{1,2}-\d{1,2}"
DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
)
TEXT_MIN_MEAN_CHARS = 25
TEXT_MIN_MEAN_WORDS = 3
TEXT_MIN_DISTINCT = 50
TEXT_MIN_DISTINCT_SHARE = 0.05
TEXT_MANY_DISTINCT = 1000

Strings: TypeAlias = "pa.Array | pa.ChunkedArray"


def _clean(values: Strings) -> Strings:
    return pc.utf8_trim_whitespace(pc.cast(values, pa.string()))


def _sample(values: Strings) -> pa.Array:
    """Up to SAMPLE_ROWS trimmed, non-blank values, evenly spaced (deterministic)."""
    present = pc.drop_null(_clean(values))
    present = present.filter(pc.invert(pc.is_in(pc.utf8_lower(present), pa.array(NULL_WORDS))))
    if len(present) > SAMPLE_ROWS:
        present = present.take(np.linspace(0, len(present) - 1, SAMPLE_ROWS).astype(np.int64))
    return pa.concat_arrays(present.chunks) if isinstance(present, pa.ChunkedArray) else present


def _share(mask: pa.Array) -> float:
    return float(pc.mean(pc.cast(mask, pa.float64())).as_py() or 0.0) if len(mask) else 0.0


def detect(values: Strings) -> tuple[str, str | None] | None:
    """How a string column should be read, as ``(parsed_as, parse_format)``, or None.

    ``parsed_as`` is ``boolean`` (a yes/no vocabulary), ``numeric`` (``plain`` numbers or
    ``grouped`` ones such as "$1,234.50") or ``datetime`` (a pandas date format). Checked in
    that order, so "1"/"0" is a flag and "20240105" a number.
    """
    sample = _sample(values)
    if len(sample) == 0:
        return None
    if _share(pc.is_in(pc.utf8_lower(sample), pa.array(TRUE_WORDS + FALSE_WORDS))) >= (
        PARSE_MIN_SHARE
    ):
        return ("boolean", None)
    number = _number_format(sample)
    if number is not None:
        return ("numeric", number)
    date = _date_format(sample)
    return ("datetime", date) if date is not None else None


def _number_format(sample: pa.Array) -> str | None:
    if _share(pc.match_substring_regex(sample, CODE_RE)) > 0:
        return None
    plain = pc.match_substring_regex(sample, NUMBER_RE)
    if _share(plain) >= PARSE_MIN_SHARE:
        return "plain"
    grouped = pc.or_(plain, pc.match_substring_regex(sample, GROUPED_RE))
    return "grouped" if _share(grouped) >= PARSE_MIN_SHARE else None


def _date_format(sample: pa.Array) -> str | None:
    if _share(pc.match_substring_regex(sample, r"\d")) < PARSE_MIN_SHARE:
        return None
    # Try every format on a few values first: most string columns are not dates at all.
    probe = sample.take(np.linspace(0, len(sample) - 1, min(len(sample), 200)).astype(np.int64))
    best, best_share = None, PARSE_MIN_SHARE
    for fmt in DATE_FORMATS:
        if fmt == "ISO8601" and _share(pc.match_substring_regex(probe, ISO_DATE_RE)) < 0.99:
            continue
        if _parsed_share(probe, fmt) < PARSE_MIN_SHARE:
            continue
        share = _parsed_share(sample, fmt)
        if share > best_share or (best is None and share >= best_share):
            best, best_share = fmt, share
    return best


def _parsed_share(values: pa.Array, fmt: str) -> float:
    return float(np.mean(~np.isnat(_to_datetime(values, fmt))))


def _to_datetime(values: Strings, fmt: str) -> np.ndarray:
    # Dates repeat (a few thousand days over millions of rows): parse each text once.
    uniques = pc.unique(values)
    if len(uniques) < len(values) // 2:
        positions = pc.index_in(values, value_set=uniques).to_numpy(zero_copy_only=False)
        return _parse_dates(uniques, fmt)[positions]
    return _parse_dates(values, fmt)


def _parse_dates(values: Strings, fmt: str) -> np.ndarray:
    if fmt == "ISO8601":  # pandas' ISO parser takes offsets and fractions in any mix
        import pandas as pd

        objects = values.to_numpy(zero_copy_only=False)
        parsed = pd.to_datetime(objects, format=fmt, errors="coerce", utc=True)
        return np.asarray(parsed.tz_localize(None), dtype="datetime64[us]")
    stamps = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    # strptime rolls impossible dates over (31/02 -> 02/03): keep only values that read
    # back to the same text, leading zeros and case aside.
    same = pc.equal(_unpadded(values), _unpadded(pc.strftime(stamps, format=fmt)))
    stamps = pc.if_else(same, stamps, None)
    return np.asarray(stamps.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def _unpadded(values: Strings) -> Strings:
    return pc.utf8_lower(pc.replace_substring_regex(values, r"(^|\D)0(\d)", r"\1\2"))


def parse(values: Strings, parsed_as: str, parse_format: str | None) -> np.ndarray:
    """Read a string column as ``detect`` decided: floats (NaN when missing) or datetimes."""
    clean = _clean(values)
    if parsed_as == "boolean":
        lower = pc.utf8_lower(clean)
        flag = pc.if_else(pc.is_in(lower, pa.array(TRUE_WORDS)), 1.0, None)
        flag = pc.if_else(pc.is_in(lower, pa.array(FALSE_WORDS)), 0.0, flag)
        return _floats(flag)
    if parsed_as == "numeric":
        if parse_format == "grouped":
            clean = pc.replace_substring_regex(clean, GROUPING_CHARS_RE, "")
        valid = pc.match_substring_regex(clean, NUMBER_RE)
        return _floats(pc.cast(pc.if_else(valid, clean, None), pa.float64()))
    if parsed_as == "datetime":
        return _to_datetime(clean, parse_format or "ISO8601")
    raise ValueError(f"parsed_as must be boolean, numeric or datetime, got {parsed_as!r}")


def _floats(values: Strings) -> np.ndarray:
    array = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(array, dtype=float)


def looks_like_text(values: Strings, n_unique: int, n_rows: int) -> bool:
    """Free text: long, several words, and many distinct values (reviews, notes, titles).

    A long label repeated over few levels ("Refund requested by customer") stays a category.
    """
    many = n_unique >= TEXT_MANY_DISTINCT or n_unique >= TEXT_MIN_DISTINCT_SHARE * n_rows
    if n_unique < TEXT_MIN_DISTINCT or not many:
        return False
    sample = _sample(values)
    if len(sample) == 0:
        return False
    chars = pc.mean(pc.utf8_length(sample)).as_py()
    words = pc.mean(pc.count_substring_regex(sample, r"\S+")).as_py()
    return chars > TEXT_MIN_MEAN_CHARS and words >= TEXT_MIN_MEAN_WORDS
