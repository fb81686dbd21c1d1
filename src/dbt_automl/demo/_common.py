"""Calendar, vocabulary and small vectorized helpers shared by the demo-lake writers.

Every timestamp is an ``int64`` count of seconds since the Unix epoch, read as naive UTC.
Working in integers keeps the generator vectorized and makes the written bytes depend only
on the seed, never on the machine's clock or time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

AS_OF = np.datetime64("2026-06-30", "D")
#: Month starts of the observation window: 12 months ending with the month of ``AS_OF``.
MONTHS = np.arange(AS_OF.astype("datetime64[M]") - 11, AS_OF.astype("datetime64[M]") + 1)
MONTH_LABELS = [str(m) for m in MONTHS]
DAY_S = 86_400
WINDOW_START_S = int(MONTHS[0].astype("datetime64[s]").astype(np.int64))
#: Exclusive end of the window: the first second after ``AS_OF``.
WINDOW_END_S = int((AS_OF + 1).astype("datetime64[s]").astype(np.int64))

#: Canonical merchant categories; the order is the integer code used internally.
CATEGORIES = (
    "grocery",
    "restaurants",
    "fuel",
    "retail",
    "travel",
    "utilities",
    "entertainment",
    "health",
    "electronics",
    "gift_cards",
    "crypto",
    "cash",
)
CAT = {name: code for code, name in enumerate(CATEGORIES)}
RISKY_CATEGORIES = (CAT["electronics"], CAT["gift_cards"], CAT["crypto"])

#: How each canonical value is spelled in the raw files, most frequent first. Staging models
#: must map every spelling back: ``lower(trim(x))`` plus the synonyms listed here.
CATEGORY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "grocery": ("grocery", "Grocery", "GROCERY", "groceries"),
    "restaurants": ("restaurants", "Restaurants", "restaurant", "RESTAURANTS"),
    "fuel": ("fuel", "Fuel", "FUEL", "gas"),
    "retail": ("retail", "Retail", "RETAIL", "shopping"),
    "travel": ("travel", "Travel", "TRAVEL", "travel "),
    "utilities": ("utilities", "Utilities", "UTILITIES", "utility"),
    "entertainment": ("entertainment", "Entertainment", "ENTERTAINMENT", "entertainment "),
    "health": ("health", "Health", "HEALTH", "pharmacy"),
    "electronics": ("electronics", "Electronics", "ELECTRONICS", "electronic"),
    "gift_cards": ("gift_cards", "Gift Cards", "GIFT_CARDS", "giftcards"),
    "crypto": ("crypto", "Crypto", "CRYPTO", "cryptocurrency"),
    "cash": ("cash", "Cash", "CASH", "atm"),
}
REGION_SPELLINGS: dict[str, tuple[str, ...]] = {
    "North": ("North", "north ", "NORTH", "N"),
    "South": ("South", "south", "SOUTH", "S"),
    "East": ("East", "east", "EAST", "E"),
    "West": ("West", "west ", "WEST", "W"),
    "Central": ("Central", "central", "CENTRAL", "C"),
}
TIER_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Basic": ("Basic", "basic", "BASIC "),
    "Gold": ("Gold", "gold", "GOLD"),
    "Platinum": ("Platinum", "platinum"),
}
#: Share of rows written with the 1st, 2nd, 3rd... spelling of a value.
SPELLING_WEIGHTS = (0.82, 0.08, 0.06, 0.04)

CHANNELS = ("online", "in_store", "atm", "contactless")
HOME_COUNTRY = "US"
TRAVEL_COUNTRIES = ("CA", "MX", "GB", "FR", "DE", "ES", "IT", "JP")
FRAUD_COUNTRIES = ("NG", "RU", "CN", "BR", "RO", "UA", "GB", "VN")
#: Every country code written; index 0 is home. Each is also written lower-case now and then.
COUNTRIES = (HOME_COUNTRY, *TRAVEL_COUNTRIES, *(c for c in FRAUD_COUNTRIES if c != "GB"))

#: Relative frequency of each hour of the day for ordinary activity (06:00-23:59).
_DAY_PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 1, 3, 5, 6, 6, 7, 9, 8, 6, 6, 7, 8, 9, 8, 6, 5, 3, 2], dtype=float
)
DAY_HOUR_P = _DAY_PROFILE / _DAY_PROFILE.sum()


def month_bounds(month: int) -> tuple[int, int]:
    """Return ``(start_s, end_s)`` of window month ``month`` (0 = first), end exclusive."""
    start = MONTHS[month].astype("datetime64[s]").astype(np.int64)
    end = (MONTHS[month] + 1).astype("datetime64[s]").astype(np.int64)
    return int(start), int(end)


def month_index(seconds: np.ndarray) -> np.ndarray:
    """Window month index of each timestamp; 12 means after the window (not yet landed)."""
    months = seconds.astype("datetime64[s]").astype("datetime64[M]")
    return (months - MONTHS[0]).astype(np.int64)


def spell(
    rng: np.random.Generator,
    codes: np.ndarray,
    spellings: Sequence[Sequence[str]],
    weights: Sequence[float] = SPELLING_WEIGHTS,
) -> pa.Array:
    """Write integer ``codes`` as strings, picking a messy spelling per row.

    ``spellings[c]`` lists the spellings of code ``c``; ``weights[k]`` is the share of the
    k-th spelling, truncated and renormalised to the longest list. Shorter lists reuse
    their first spelling.
    """
    width = max(len(s) for s in spellings)
    table = [s[k] if k < len(s) else s[0] for s in spellings for k in range(width)]
    shares = np.asarray(weights[:width]) / sum(weights[:width])
    variant = np.searchsorted(np.cumsum(shares), rng.random(len(codes)), side="right")
    variant = np.minimum(variant, width - 1)
    return pa.array(table).take(pa.array(codes.astype(np.int64) * width + variant))


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers``, built in Arrow rather than a Python loop."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def to_timestamp(seconds: np.ndarray, unit: str = "us") -> pa.Array:
    """Arrow timestamp (naive UTC) from epoch seconds; DuckDB reads it as TIMESTAMP.

    Parquet gets microseconds (DuckDB's native unit); the CSV uses ``unit="s"`` so the text
    reads ``2026-01-31 08:15:00`` without a ``.000000`` tail.
    """
    scale = {"s": 1, "us": 1_000_000}[unit]
    return pa.array(seconds.astype(np.int64) * scale, pa.timestamp(unit))


def iso_strings(seconds: np.ndarray) -> pa.Array:
    """ISO-8601 ``YYYY-MM-DDTHH:MM:SS`` strings, via lookup tables (10x faster than strftime)."""
    day = seconds // DAY_S
    first = int(day.min()) if len(day) else 0
    dates = np.arange(first, int(day.max(initial=first)) + 1).astype("datetime64[D]")
    date_str = pa.array(np.datetime_as_string(dates).tolist())
    two = pa.array([f"{i:02d}" for i in range(60)])
    sod = seconds % DAY_S
    return pc.binary_join_element_wise(
        date_str.take(pa.array(day - first)),
        "T",
        two.take(pa.array(sod // 3600)),
        ":",
        two.take(pa.array(sod // 60 % 60)),
        ":",
        two.take(pa.array(sod % 60)),
        "",
    )
