"""A deterministic, realistically messy demo data lake for a retail bank.

Layout (see ``docs/CONTRACTS.md``, "Demo lake")::

    <lake>/customers/customers.csv                     header row, comma separated
    <lake>/transactions/month=YYYY-MM/part-0.parquet   partition = month the row was ingested
    <lake>/app_events/app_events_YYYY-MM.json          newline-delimited JSON, one file a month
    <lake>/branch_sales/branch_sales_YYYY.csv          header row, one file a calendar year
    <lake>/promotions/promotions.csv                   header row, comma separated
    <lake>/terminals/terminals.csv                     header row, comma separated
    <lake>/terminal_readings/readings_YYYY-MM.parquet  one file a month, schema grows in March
    <lake>/terminal_failures/terminal_failures.csv     header row, the maintenance log
    <lake>/_SUCCESS.json                               {scale, seed, counts, as_of, generated_at}

The window is the 12 months ending at ``as_of`` = 2026-06-30. Two labels are planted:
``churned`` (~15% of customers: spending and logins fade over the last months, more
complaints and chats, fewer products, shorter tenure, basic tier) and ``is_fraud`` (~1% of
transactions: bursts within an hour, large for the customer, night, abroad, online, risky
categories). Both are learnable from SQL aggregates and neither is perfectly separable.
Branch sales (:mod:`dbt_automl.demo._sales`) are a forecasting task over a longer history,
2024-01-01 to ``as_of``: daily units per branch x product line with weekly and yearly
seasons, bank holidays (:mod:`dbt_automl.demo._holidays`, the definition behind
``seeds/bank_holidays.csv``), promotions (planned ones 8 weeks past ``as_of``), a trend, a
structural break, a late-opening branch, a discontinued series, gaps and duplicate lines.
Card terminals and ATMs (:mod:`dbt_automl.demo._terminals`) are a predictive-maintenance
task with scarce labels: 4-hourly sensor readings from 2026-01-01 to ``as_of``, ~12% of
terminals failing once (most after days of degradation), and a maintenance log holding 40%
of the failures plus routine checks that found nothing.

The mess is deliberate: nulls, outliers (birth years 1880/2031, incomes x50 or -1, amounts
x100 or negative), ~1% customers exported twice (newer ``updated_at``, sometimes changed),
~0.5% transactions delivered twice (same ``transaction_id``), ~3% transactions ingested 1-20
days late (some in a later partition; rows landing after ``as_of`` are not in the lake),
spellings listed in :data:`CATEGORY_SPELLINGS`, :data:`REGION_SPELLINGS` and
:data:`TIER_SPELLINGS`, lower-case country codes, 'Yes'/'No' and 'Y'/'N' flags.

Types DuckDB infers (``read_csv``, ``read_parquet(..., hive_partitioning=true)``,
``read_json(..., format='newline_delimited')``):

- customers.csv: customer_id BIGINT, signup_date DATE, birth_year BIGINT, region VARCHAR,
  tier VARCHAR, annual_income DOUBLE, product_count BIGINT, has_credit_card VARCHAR
  ('Y'/'N' stays text), complaint_count BIGINT, churned BOOLEAN (the sniffer reads
  'Yes'/'No' as booleans), updated_at TIMESTAMP. DuckDB 2.0 pushes casts into the CSV
  scan, so ``churned::int`` fails ('Could not convert string "No" to INTEGER'); write
  ``case when churned then 1 else 0 end`` instead.
- transactions: transaction_id VARCHAR, customer_id BIGINT, transaction_at TIMESTAMP,
  ingested_at TIMESTAMP, amount DOUBLE, merchant_id VARCHAR, merchant_category VARCHAR,
  channel VARCHAR, country VARCHAR, is_fraud BOOLEAN, plus the partition column month
  VARCHAR ('2025-07').
- app_events: event_id VARCHAR, customer_id BIGINT, event_type VARCHAR, event_at TIMESTAMP
  (ISO-8601 without offset, naive UTC like every other timestamp), device VARCHAR,
  session_seconds BIGINT, context STRUCT(app_version VARCHAR, os_version VARCHAR).
- branch_sales: sale_date DATE, branch_id VARCHAR ('BR01'), product_line VARCHAR, units BIGINT.
- promotions.csv: promotion_id VARCHAR, product_line VARCHAR, branch_id VARCHAR (empty, read
  as NULL: every branch), start_date DATE, end_date DATE (inclusive), discount_pct BIGINT.
- terminals, terminal_readings, terminal_failures: see :mod:`dbt_automl.demo._terminals`.

Same ``scale`` and ``seed`` give byte-identical data files; only ``generated_at`` in the
marker changes. Each part draws from its own child of the seed, so adding a part leaves the
files of the others as they were. The lake is written to a hidden sibling directory and
renamed into place, so ``out`` is either the previous lake or the complete new one, never
half of either.

Example:
    >>> from dbt_automl.demo import generate_lake
    >>> summary = generate_lake("lake/raw", scale="tiny")  # doctest: +SKIP
    >>> round(summary.churn_rate, 2)  # doctest: +SKIP
    0.15
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dbt_automl.demo._common import (
    AS_OF,
    MONTHS,
)
from dbt_automl.demo._events import write_app_events
from dbt_automl.demo._population import make_population, write_customers_csv
from dbt_automl.demo._readings import READING_MONTHS
from dbt_automl.demo._sales import write_branch_sales
from dbt_automl.demo._terminals import write_terminals
from dbt_automl.demo._transactions import write_transactions
from dbt_automl.errors import DbtAutomlError

#: Bumped whenever the generator's output changes, so an old lake is not mistaken as current.
FORMAT_VERSION = 3
MARKER = "_SUCCESS.json"
_LAKE_ENTRIES = {
    "customers",
    "transactions",
    "app_events",
    "branch_sales",
    "promotions",
    "terminals",
    "terminal_readings",
    "terminal_failures",
    MARKER,
}


@dataclass(frozen=True)
class Scale:
    """How big a lake is: ``customers`` and how often each one transacts (``activity``);
    ``branches`` x ``product_lines`` daily sales series (3-5 product lines); ``terminals``
    card terminals and ATMs reporting every 4 hours."""

    name: str
    customers: int
    activity: float = 1.0
    branches: int = 12
    product_lines: int = 5
    terminals: int = 300

    @property
    def merchants(self) -> int:
        """Size of the merchant pool: ~5,000 distinct merchants show up at default scale."""
        return int(np.clip(self.customers, 300, 50_000))


SCALES: dict[str, Scale] = {
    # tiny is what the test suite generates: ~600 customers and ~20k transactions, and
    # 3 branches x 3 product lines of daily sales (~7k rows), 40 terminals (~42k readings).
    "tiny": Scale("tiny", 600, activity=0.7, branches=3, product_lines=3, terminals=40),
    "small": Scale("small", 2_000, branches=6, terminals=100),
    "default": Scale("default", 5_000),
    "large": Scale("large", 250_000, branches=40, terminals=3_000),
}


def resolve_scale(scale: str | float) -> Scale:
    """Turn a scale name (``tiny``, ``small``, ``default``, ``large``) or a positive number
    (a multiple of the default customer count) into a :class:`Scale`.

    >>> resolve_scale("2").customers
    10000
    """
    if isinstance(scale, str) and scale in SCALES:
        return SCALES[scale]
    try:
        factor = float(scale)
    except (TypeError, ValueError):
        raise DbtAutomlError(
            f"scale must be one of {sorted(SCALES)} or a positive number, got {scale!r}",
            "pass e.g. --scale small",
        ) from None
    if not np.isfinite(factor) or round(SCALES["default"].customers * factor) < 50:
        raise DbtAutomlError(
            f"numeric scale must give at least 50 customers (scale >= 0.01), got {scale!r}",
            "pass a scale of 0.01 or more",
        )
    terminals = int(np.clip(round(SCALES["default"].terminals * factor), 20, 9_999))
    return Scale(f"{factor:g}", round(SCALES["default"].customers * factor), terminals=terminals)


@dataclass(frozen=True)
class LakeSummary:
    """Where a generated lake lives and what it holds.

    ``*_rows`` count lines written (duplicates included); the other counts are distinct
    entities. ``skipped`` is true when an existing complete lake was reused.
    """

    root: Path
    scale: str
    seed: int
    customer_rows: int
    customers: int
    churned_customers: int
    transaction_rows: int
    transactions: int
    fraud_transactions: int
    late_transactions: int
    merchants: int
    app_events: int
    branch_sales_rows: int
    branch_sales_series: int
    branches: int
    promotions: int
    terminal_rows: int
    terminals: int
    terminal_reading_rows: int
    terminal_failures: int
    logged_terminal_failures: int
    terminal_log_rows: int
    skipped: bool = False

    @property
    def customers_csv(self) -> Path:
        """Path of ``customers/customers.csv``."""
        return self.root / "customers" / "customers.csv"

    @property
    def transactions_dir(self) -> Path:
        """Folder holding the ``month=YYYY-MM`` partitions."""
        return self.root / "transactions"

    @property
    def app_events_dir(self) -> Path:
        """Folder holding ``app_events_YYYY-MM.json``."""
        return self.root / "app_events"

    @property
    def branch_sales_dir(self) -> Path:
        """Folder holding ``branch_sales_YYYY.csv``."""
        return self.root / "branch_sales"

    @property
    def promotions_csv(self) -> Path:
        """Path of ``promotions/promotions.csv``."""
        return self.root / "promotions" / "promotions.csv"

    @property
    def terminals_csv(self) -> Path:
        """Path of ``terminals/terminals.csv``."""
        return self.root / "terminals" / "terminals.csv"

    @property
    def terminal_readings_dir(self) -> Path:
        """Folder holding ``readings_YYYY-MM.parquet``."""
        return self.root / "terminal_readings"

    @property
    def terminal_failures_csv(self) -> Path:
        """Path of ``terminal_failures/terminal_failures.csv`` (the maintenance log)."""
        return self.root / "terminal_failures" / "terminal_failures.csv"

    @property
    def churn_rate(self) -> float:
        """Share of distinct customers labelled churned."""
        return self.churned_customers / self.customers

    @property
    def fraud_rate(self) -> float:
        """Share of distinct transactions labelled fraud."""
        return self.fraud_transactions / max(self.transactions, 1)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view: every field (``root`` as text) plus the two label rates."""
        data = asdict(self)
        data["root"] = str(self.root)
        data["churn_rate"] = round(self.churn_rate, 4)
        data["fraud_rate"] = round(self.fraud_rate, 4)
        return data

    def counts(self) -> dict[str, int]:
        """The integer counts, as stored in ``_SUCCESS.json``."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.type == "int" and f.name != "seed"
        }


def generate_lake(
    out: str | Path, scale: str | float = "default", seed: int = 42, force: bool = False
) -> LakeSummary:
    """Write the demo lake to ``out`` and return what it holds.

    Args:
        out: Lake root; replaced atomically. Refused if it holds files the lake never writes.
        scale: ``tiny``, ``small``, ``default``, ``large`` or a multiple of ``default``.
        seed: Non-negative seed; same seed and scale give byte-identical data files.
        force: Regenerate even if ``out/_SUCCESS.json`` already records this scale and seed.

    Raises:
        DbtAutomlError: Bad scale or seed, or ``out`` is not a lake directory.
    """
    out = Path(out)
    spec = resolve_scale(scale)
    if not isinstance(seed, int) or seed < 0:
        raise DbtAutomlError(
            f"seed must be a non-negative integer, got {seed!r}", "pass e.g. --seed 42"
        )
    existing = _read_marker(out)
    if not force and existing is not None and _marker_matches(existing, spec, seed):
        return LakeSummary(
            root=out, scale=spec.name, seed=seed, skipped=True, **existing["counts"]
        )
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would make the lake private to this user
        summary = _write_lake(tmp, out, spec, seed)
        _write_marker(tmp, summary)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _write_lake(root: Path, out: Path, spec: Scale, seed: int) -> LakeSummary:
    """Generate every file under ``root`` (to become ``out``) and say what it holds."""
    # Independent streams per part and per month: generating month by month (bounded
    # memory) then draws exactly the same numbers whatever the scale of the chunks.
    # Spawning a fifth stream for branch sales, a sixth for terminals, leaves the earlier
    # ones (and their files) as they were.
    parts = np.random.SeedSequence(seed).spawn(6)
    tx_rngs = [np.random.default_rng(s) for s in parts[2].spawn(len(MONTHS) + 1)]
    event_rngs = [np.random.default_rng(s) for s in parts[3].spawn(len(MONTHS))]
    pop = make_population(np.random.default_rng(parts[0]), spec.customers, spec.activity)
    for folder in ("customers", "transactions", "app_events"):
        (root / folder).mkdir()
    customer_rows = write_customers_csv(
        np.random.default_rng(parts[1]), pop, root / "customers" / "customers.csv"
    )
    tx = write_transactions(tx_rngs, pop, root / "transactions", spec.merchants)
    events = write_app_events(
        event_rngs,
        pop,
        root / "app_events",
        np.concatenate(tx.burst_customer),
        np.concatenate(tx.burst_start_s),
    )
    sales = write_branch_sales(
        np.random.default_rng(parts[4]), root, spec.branches, spec.product_lines
    )
    terminal_rngs = [np.random.default_rng(s) for s in parts[5].spawn(len(READING_MONTHS) + 1)]
    terminals = write_terminals(terminal_rngs, root, spec.terminals, spec.branches)
    return LakeSummary(
        root=out,
        scale=spec.name,
        seed=seed,
        customer_rows=customer_rows,
        customers=pop.size,
        churned_customers=int(pop.churned.sum()),
        transaction_rows=tx.rows,
        transactions=tx.transactions,
        fraud_transactions=tx.fraud,
        late_transactions=tx.late,
        merchants=tx.merchants,
        app_events=events,
        branch_sales_rows=sales.rows,
        branch_sales_series=sales.series,
        branches=sales.branches,
        promotions=sales.promotions,
        terminal_rows=terminals.terminal_rows,
        terminals=terminals.terminals,
        terminal_reading_rows=terminals.reading_rows,
        terminal_failures=terminals.failures,
        logged_terminal_failures=terminals.logged_failures,
        terminal_log_rows=terminals.log_rows,
    )


def _read_marker(out: Path) -> dict | None:
    """The parsed ``_SUCCESS.json`` of ``out``, or None when absent or unreadable."""
    try:
        return json.loads((out / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _marker_matches(marker: dict, spec: Scale, seed: int) -> bool:
    """True when ``marker`` describes a complete lake of this generator, scale and seed."""
    return (
        marker.get("format_version") == FORMAT_VERSION
        and marker.get("scale") == spec.name
        and marker.get("seed") == seed
        and isinstance(marker.get("counts"), dict)
    )


def _write_marker(root: Path, summary: LakeSummary) -> None:
    """Write ``_SUCCESS.json`` last: its presence means every other file is complete."""
    marker = {
        "format_version": FORMAT_VERSION,
        "scale": summary.scale,
        "seed": summary.seed,
        "counts": summary.counts(),
        "as_of": str(AS_OF),
        # The one non-deterministic value, kept out of the data files on purpose.
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (root / MARKER).write_text(json.dumps(marker, indent=2) + "\n")


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything but a (possibly partial) demo lake or an empty folder."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DbtAutomlError(
            f"lake path must be a directory, got a file: {out}", "pass a directory as --out"
        )
    foreign = sorted(set(os.listdir(out)) - _LAKE_ENTRIES)
    if foreign:
        raise DbtAutomlError(
            f"refusing to replace {out}: it holds {foreign[:3]}, which a demo lake never contains",
            "pass an empty or new --out",
        )


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is restored if the rename fails."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = tmp.with_name(tmp.name + ".old")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
