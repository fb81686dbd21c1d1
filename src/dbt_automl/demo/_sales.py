"""Daily product sales per bank branch, and the promotions behind some of them.

A forecasting task: units sold per branch x product line x day from :data:`SALES_START` to
``AS_OF``, negative-binomial counts around a level of ~2 to ~60 a day. The expected count
multiplies a branch size and growth (a mild trend), a branch-product mix, the weekday
(Saturday about half a weekday, Sunday 15%: online sales only), a yearly season per product
(:data:`_SEASON_BUMPS`: mortgages in spring and summer, cards in November-December,
insurance in January, savings in January and around the April tax-year end), bank holidays
(branches closed: 3% of a weekday), and a promotion's uplift (20% at a 5% discount to 60% at
25%) while one runs for that product and branch.

Planted for the engine to cope with: mortgages drop 45% at every branch from
:data:`RATE_CHANGE` (a rate change), the last branch opens on :data:`LATE_OPENING`,
insurance at BR01 is discontinued after :data:`DISCONTINUED_AFTER` (no rows after), BR02 has
no rows for the week :data:`OUTAGE_DAYS` (an outage), ~1% of branch-days are missing (every
product of that branch and day), ~0.3% of rows are exported twice (identical lines).

``promotions.csv`` lists every promotion of the history plus those planned for the
:data:`PLANNING_DAYS` days after ``AS_OF`` (known in advance: a future covariate). An empty
``branch_id`` is a promotion at every branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from dbt_automl.demo._common import AS_OF, prefixed_ids
from dbt_automl.demo._holidays import bank_holidays

#: Every product line, in the order the contract lists them.
PRODUCT_LINES = ("cards", "loans", "mortgages", "savings", "insurance")
#: A lake with fewer product lines keeps the first ones here: the break, the discontinued
#: series and the strongest season come first, so even a tiny lake has them.
_PRODUCT_PRIORITY = ("mortgages", "insurance", "cards", "savings", "loans")
SALES_START = np.datetime64("2024-01-01", "D")
LATE_OPENING = np.datetime64("2025-03-01", "D")
RATE_CHANGE = np.datetime64("2025-10-01", "D")
DISCONTINUED_AFTER = np.datetime64("2026-03-31", "D")
OUTAGE_DAYS = np.arange(np.datetime64("2025-08-11", "D"), np.datetime64("2025-08-18", "D"))
PLANNING_DAYS = 56

_BASE_PER_DAY = {"cards": 16.0, "loans": 6.0, "mortgages": 4.0, "savings": 12.0, "insurance": 5.0}
_WEEKDAY_FACTOR = np.array([1.1, 1.0, 1.0, 1.0, 1.05, 0.55, 0.15])  # Monday .. Sunday
#: Yearly season per product: bumps of (peak day of year, width in days, height).
_SEASON_BUMPS = {
    "cards": ((335, 22, 0.6),),
    "loans": ((196, 35, 0.2),),
    "mortgages": ((150, 50, 0.45),),
    "savings": ((12, 10, 0.5), (95, 9, 0.7)),
    "insurance": ((15, 12, 0.6),),
}
_HOLIDAY_FACTOR = 0.03
_RATE_CHANGE_FACTOR = 0.55
_DISCOUNTS = np.array([5, 10, 15, 20, 25])
#: Gamma shape of the negative binomial: variance mu + mu^2 / 15.
_DISPERSION = 15.0


@dataclass(frozen=True)
class SalesCounts:
    """What :func:`write_branch_sales` wrote: lines (duplicates included) and entities."""

    rows: int
    series: int
    branches: int
    promotions: int


def product_lines(count: int) -> tuple[str, ...]:
    """The ``count`` product lines a lake has, in contract order.

    >>> product_lines(3)
    ('cards', 'mortgages', 'insurance')
    """
    kept = set(_PRODUCT_PRIORITY[:count])
    return tuple(p for p in PRODUCT_LINES if p in kept)


def write_branch_sales(
    rng: np.random.Generator, root: Path, branches: int, products: int
) -> SalesCounts:
    """Write ``root/branch_sales/branch_sales_YYYY.csv`` and ``root/promotions/promotions.csv``."""
    if branches < 3 or not 3 <= products <= len(PRODUCT_LINES):
        raise ValueError(
            f"branch sales need >= 3 branches and 3-5 product lines, got {branches}, {products}"
        )
    lines = product_lines(products)
    branch_ids = [f"BR{b:02d}" for b in range(1, branches + 1)]
    opening = np.full(branches, SALES_START)
    opening[-1] = LATE_OPENING
    days = np.arange(SALES_START, AS_OF + 1)
    promos = _promotions(rng, opening, len(lines))
    mu = _expected_units(rng, days, branches, lines, _discount_grid(promos, days, branches))
    units = rng.poisson(mu * rng.gamma(_DISPERSION, 1 / _DISPERSION, mu.shape))
    present = _present(rng, days, opening, lines)
    # Rows in date, branch, product order: the C order of the (day, branch, product) grid.
    cell = np.flatnonzero(present.ravel())
    cell = np.repeat(cell, np.where(rng.random(len(cell)) < 0.003, 2, 1))
    d, b, p = np.unravel_index(cell, present.shape)
    table = pa.table(
        {
            "sale_date": pa.array(days[d], pa.date32()),
            "branch_id": pa.array(branch_ids).take(pa.array(b)),
            "product_line": pa.array(lines).take(pa.array(p)),
            "units": pa.array(units.ravel()[cell].astype(np.int64)),
        }
    )
    _write_years(table, days[d], root / "branch_sales")
    (root / "promotions").mkdir()
    promotions_csv = root / "promotions" / "promotions.csv"
    pa_csv.write_csv(_promotion_table(promos, branch_ids, lines), promotions_csv)
    return SalesCounts(
        rows=len(cell),
        series=int(present.any(axis=0).sum()),
        branches=branches,
        promotions=len(promos),
    )


def _promotions(rng: np.random.Generator, opening: np.ndarray, products: int) -> np.ndarray:
    """Promotions as rows of (start day, end day, product, branch or -1, discount), sorted.

    Days are counts since the epoch. Each product line runs a promotion at every branch
    every 6-13 weeks, including one in the planning window after ``AS_OF``; each branch
    adds ~2 of its own per product line after it opens.
    """
    start0, last = int(SALES_START.astype(np.int64)), int((AS_OF + PLANNING_DAYS).astype(np.int64))
    as_of = int(AS_OF.astype(np.int64))
    rows: list[tuple[int, int, int, int, int]] = []
    for product in range(products):
        start = start0 + int(rng.integers(0, 40))
        while start <= last:
            rows.append((start, start + int(rng.integers(6, 21)), product, -1, 0))
            start += int(rng.integers(45, 91))
        if not any(r[0] > as_of and r[2] == product and r[3] == -1 for r in rows):
            start = as_of + int(rng.integers(7, 36))
            rows.append((start, start + int(rng.integers(6, 21)), product, -1, 0))
    for branch, opened in enumerate(opening.astype(np.int64)):
        for product in range(products):
            for start in opened + rng.integers(0, last - opened + 1, rng.poisson(2.0)):
                rows.append((int(start), int(start + rng.integers(6, 28)), product, branch, 0))
    promos = np.array(sorted(rows), dtype=np.int64).reshape(-1, 5)
    promos[:, 4] = rng.choice(_DISCOUNTS, len(promos))
    return promos


def _discount_grid(promos: np.ndarray, days: np.ndarray, branches: int) -> np.ndarray:
    """Largest discount running on each (day, branch, product), 0 without a promotion."""
    products = int(promos[:, 2].max()) + 1
    grid = np.zeros((len(days), branches, products), dtype=np.int64)
    first = int(days[0].astype(np.int64))
    for start, end, product, branch, discount in promos:
        span = slice(max(start - first, 0), max(end - first + 1, 0))
        where = slice(None) if branch < 0 else slice(branch, branch + 1)
        grid[span, where, product] = np.maximum(grid[span, where, product], discount)
    return grid


def _expected_units(
    rng: np.random.Generator,
    days: np.ndarray,
    branches: int,
    lines: tuple[str, ...],
    discount: np.ndarray,
) -> np.ndarray:
    """Expected units per (day, branch, product) before the negative-binomial noise."""
    size = np.clip(rng.lognormal(0.0, 0.45, branches), 0.35, 3.0)
    growth = rng.uniform(0.0, 0.08, branches)
    mix = rng.lognormal(0.0, 0.2, (branches, len(lines)))
    base = np.array([_BASE_PER_DAY[p] for p in lines])
    years = (days - SALES_START).astype(np.float64) / 365.25
    trend = np.exp(np.outer(years, growth))
    holidays = np.array([np.datetime64(day, "D") for day, _ in bank_holidays()])
    calendar = _WEEKDAY_FACTOR[(days.astype(np.int64) + 3) % 7]  # 1970-01-01 was a Thursday
    calendar = np.where(np.isin(days, holidays), _HOLIDAY_FACTOR, calendar)
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    season = np.stack([_season(p, day_of_year) for p in lines], axis=1)
    mu = (trend * size)[:, :, None] * (mix * base)[None] * (calendar[:, None] * season)[:, None]
    # A promotion's uplift: 20% at a 5% discount to 60% at 25%.
    mu *= np.where(discount > 0, 1.2 + 0.02 * (discount - 5), 1.0)
    mu[days >= RATE_CHANGE, :, lines.index("mortgages")] *= _RATE_CHANGE_FACTOR
    return mu


def _season(product: str, day_of_year: np.ndarray) -> np.ndarray:
    """Yearly multiplier of ``product``: 1 plus Gaussian bumps around each peak day."""
    factor = np.ones(len(day_of_year))
    for peak, width, height in _SEASON_BUMPS[product]:
        distance = (day_of_year - peak + 182) % 365 - 182  # around the new year too
        factor += height * np.exp(-0.5 * (distance / width) ** 2)
    return factor


def _present(
    rng: np.random.Generator, days: np.ndarray, opening: np.ndarray, lines: tuple[str, ...]
) -> np.ndarray:
    """Which (day, branch, product) cells have a row in the lake."""
    missing = rng.random((len(days), len(opening))) < 0.01
    present = (days[:, None] >= opening[None]) & ~missing
    present[np.isin(days, OUTAGE_DAYS), 1] = False
    present = np.repeat(present[:, :, None], len(lines), axis=2)
    present[days > DISCONTINUED_AFTER, 0, lines.index("insurance")] = False
    return present


def _write_years(table: pa.Table, row_days: np.ndarray, folder: Path) -> None:
    """One ``branch_sales_YYYY.csv`` per calendar year (rows arrive sorted by date)."""
    folder.mkdir()
    years = row_days.astype("datetime64[Y]")
    for year in np.unique(years):
        rows = np.flatnonzero(years == year)
        part = table.slice(int(rows[0]), len(rows))
        pa_csv.write_csv(part, folder / f"branch_sales_{year}.csv")


def _promotion_table(
    promos: np.ndarray, branch_ids: list[str], lines: tuple[str, ...]
) -> pa.Table:
    """``promotions.csv`` columns; a promotion at every branch has an empty ``branch_id``."""
    branch = promos[:, 3]
    return pa.table(
        {
            "promotion_id": prefixed_ids("PR", np.arange(1, len(promos) + 1), 4),
            "product_line": pa.array(lines).take(pa.array(promos[:, 2])),
            "branch_id": pa.array(branch_ids).take(
                pa.array(np.maximum(branch, 0), mask=branch < 0)
            ),
            "start_date": pa.array(promos[:, 0], pa.int32()).cast(pa.date32()),
            "end_date": pa.array(promos[:, 1], pa.int32()).cast(pa.date32()),
            "discount_pct": pa.array(promos[:, 4]),
        }
    )
