"""Card transactions, one Parquet file per ingestion month, written month by month.

Memory stays bounded at any scale: one transaction month is generated, split by the month
it is *ingested* in, and the partition that can no longer receive rows is written and
dropped. Late rows (1-20 days) wait in ``pending`` for at most one more month.

Fraud is planted as bursts of 1-5 transactions within an hour on one customer, with a
large amount for that customer, mostly at night, abroad, online and in risky categories.
Each of those traits also occurs in legitimate traffic (night owls, travellers, online
shoppers, big purchases), so a model needs several of them together and never gets all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dbt_automl.demo._common import (
    CAT,
    CATEGORIES,
    CATEGORY_SPELLINGS,
    CHANNELS,
    COUNTRIES,
    DAY_HOUR_P,
    DAY_S,
    FRAUD_COUNTRIES,
    MONTH_LABELS,
    MONTHS,
    RISKY_CATEGORIES,
    TRAVEL_COUNTRIES,
    WINDOW_END_S,
    month_bounds,
    month_index,
    prefixed_ids,
    spell,
    to_timestamp,
)
from dbt_automl.demo._population import (
    CATEGORY_LOG_SHIFT,
    PERSONA_CATEGORY_P,
    Population,
)

FRAUD_RATE = 0.01
_BURST_SIZES = np.array([1, 2, 3, 4, 5])
_BURST_P = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
_ONLINE, _IN_STORE, _ATM, _CONTACTLESS = range(len(CHANNELS))
_FRAUD_COUNTRY_CODES = np.array([COUNTRIES.index(c) for c in FRAUD_COUNTRIES])
_ORDINARY_CATEGORIES = np.array(
    [c for c in range(len(CATEGORIES) - 1) if c not in RISKY_CATEGORIES]
)
# Busier months: holidays in November-December, a quiet January.
_SEASON = {11: 1.1, 12: 1.2, 1: 0.9}

SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("customer_id", pa.int64()),
        ("transaction_at", pa.timestamp("us")),
        ("ingested_at", pa.timestamp("us")),
        ("amount", pa.float64()),
        ("merchant_id", pa.string()),
        ("merchant_category", pa.string()),
        ("channel", pa.string()),
        ("country", pa.string()),
        ("is_fraud", pa.bool_()),
    ]
)


@dataclass
class TransactionStats:
    """What was written, plus the fraud bursts (app events add card freezes after them)."""

    rows: int = 0
    transactions: int = 0
    fraud: int = 0
    late: int = 0
    merchants: int = 0
    burst_customer: list[np.ndarray] = field(default_factory=list)
    burst_start_s: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class Merchants:
    """Merchant pool: one contiguous block of codes per category, popular codes first."""

    block_start: np.ndarray
    block_size: np.ndarray
    ids: pa.Array

    @classmethod
    def make(cls, rng: np.random.Generator, n: int) -> Merchants:
        """``n`` merchants split across categories in proportion to how often they are used."""
        share = PERSONA_CATEGORY_P.mean(0)
        size = np.maximum(np.round(share * n).astype(np.int64), 3)
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        # A shuffled numbering so a merchant_id reveals nothing about its category.
        ids = prefixed_ids("M", rng.permutation(int(size.sum())) + 1, 6)
        return cls(block_start=start, block_size=size, ids=ids)

    def pick(self, rng: np.random.Generator, cat: np.ndarray, skew: float) -> np.ndarray:
        """A merchant code per row in category ``cat``; larger ``skew`` favours the popular."""
        rank = np.floor(self.block_size[cat] * rng.random(len(cat)) ** skew)
        return self.block_start[cat] + rank.astype(np.int64)


def write_transactions(
    rngs: list[np.random.Generator], pop: Population, root: Path, n_merchants: int
) -> TransactionStats:
    """Generate the 12 window months and write ``root/month=YYYY-MM/part-0.parquet``."""
    stats = TransactionStats()
    merchants = Merchants.make(rngs[0], n_merchants)
    pending: dict[int, list[pa.Table]] = defaultdict(list)
    used = np.zeros(len(merchants.ids), dtype=bool)
    next_id = 1
    for month, rng in enumerate(rngs[1:]):
        cols = _month_rows(rng, pop, month, merchants, stats)
        used[cols["merchant"]] = True
        cols["customer_id"] = pop.customer_id[cols["cust"]]
        table, ingest_month = _deliver(rng, cols, next_id, merchants, stats)
        next_id += len(cols["t"])
        for target in np.unique(ingest_month[ingest_month < len(MONTHS)]):
            pending[int(target)].append(table.filter(pa.array(ingest_month == target)))
        stats.rows += _write_partition(root, month, pending.pop(month, []))
    stats.merchants = int(used.sum())
    return stats


def _month_rows(
    rng: np.random.Generator,
    pop: Population,
    month: int,
    merchants: Merchants,
    stats: TransactionStats,
) -> dict[str, np.ndarray]:
    """Legitimate and fraudulent transactions of one month, in transaction-time order."""
    legit = _legit(rng, pop, month, merchants)
    fraud = _fraud(rng, pop, month, merchants, n_legit=len(legit["t"]), stats=stats)
    cols = {k: np.concatenate([legit[k], fraud[k]]) for k in legit}
    keep = cols["t"] < WINDOW_END_S
    order = np.lexsort((cols["cust"][keep], cols["t"][keep]))
    return {k: v[keep][order] for k, v in cols.items()}


def _legit(
    rng: np.random.Generator, pop: Population, month: int, merchants: Merchants
) -> dict[str, np.ndarray]:
    """Ordinary spending: an inhomogeneous Poisson process per customer, by thinning."""
    start, end = month_bounds(month)
    days = (end - start) // DAY_S
    season = _SEASON.get(int(str(MONTHS[month])[5:]), 1.0)
    idx = np.repeat(np.arange(pop.size), rng.poisson(pop.tx_rate * days * season))
    n = len(idx)
    night = rng.random(n) < pop.night_share[idx]
    hour = np.where(night, rng.integers(0, 6, n), rng.choice(24, n, p=DAY_HOUR_P))
    t = start + rng.integers(0, days, n) * DAY_S + hour * 3600 + rng.integers(0, 3600, n)
    keep = rng.random(n) < pop.intensity(idx, t)
    # Shopping trips: 5% of purchases are followed by another within the hour, so a quick
    # second transaction is common in legitimate traffic too.
    trip = np.flatnonzero(keep & (rng.random(n) < 0.05))
    idx = np.concatenate([idx[keep], idx[trip]])
    t = np.concatenate([t[keep], t[trip] + rng.integers(60, 3000, len(trip))])
    n = len(idx)
    cat = _categories(rng, pop.persona[idx])
    online = rng.random(n) < pop.online_share[idx] + 0.2 * np.isin(cat, RISKY_CATEGORIES)
    channel = np.where(online, _ONLINE, np.where(rng.random(n) < 0.45, _CONTACTLESS, _IN_STORE))
    channel = np.where(cat == CAT["cash"], _ATM, np.where(cat == CAT["crypto"], _ONLINE, channel))
    foreign = rng.random(n) < pop.foreign_share[idx] * np.where(cat == CAT["travel"], 5, 1)
    country = np.where(foreign, rng.integers(1, 1 + len(TRAVEL_COUNTRIES), n), 0)
    # 1% big-ticket purchases (a sofa, a laptop) so a large amount alone is not fraud.
    log_amount = pop.amount_mu[idx] + CATEGORY_LOG_SHIFT[cat] + rng.normal(0, 0.7, n)
    log_amount += np.where(rng.random(n) < 0.01, np.log(4.0), 0.0)
    return {
        "cust": idx,
        "t": t,
        "cat": cat,
        "channel": channel,
        "country": country,
        "amount": np.exp(log_amount).round(2),
        "merchant": merchants.pick(rng, cat, skew=3.0),
        "fraud": np.zeros(n, dtype=bool),
    }


def _categories(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    """Draw a category per row from its customer's persona mix (one pass per persona)."""
    cat = np.empty(len(persona), dtype=np.int64)
    u = rng.random(len(persona))
    for p, weights in enumerate(PERSONA_CATEGORY_P):
        rows = persona == p
        cat[rows] = np.searchsorted(np.cumsum(weights), u[rows], side="right")
    return np.minimum(cat, len(CATEGORIES) - 1)


def _fraud(
    rng: np.random.Generator,
    pop: Population,
    month: int,
    merchants: Merchants,
    n_legit: int,
    stats: TransactionStats,
) -> dict[str, np.ndarray]:
    """Bursts of card-testing and cash-out transactions, ~1% of the month's rows."""
    start, end = month_bounds(month)
    mean_size = float(_BURST_SIZES @ _BURST_P)
    n_bursts = rng.poisson(FRAUD_RATE / (1 - FRAUD_RATE) * n_legit / mean_size)
    victim = rng.choice(np.flatnonzero(pop.signup_s < start), n_bursts)
    night = rng.random(n_bursts) < 0.4
    hour = np.where(night, rng.integers(0, 6, n_bursts), rng.choice(24, n_bursts, p=DAY_HOUR_P))
    days = (end - start) // DAY_S
    t0 = start + rng.integers(0, days, n_bursts) * DAY_S + hour * 3600
    t0 += rng.integers(0, 3600, n_bursts)
    stats.burst_customer.append(victim)
    stats.burst_start_s.append(t0)
    # Per burst: one country and one channel; per row: category, amount, merchant.
    foreign = rng.random(n_bursts) < 0.4
    country = np.where(foreign, rng.choice(_FRAUD_COUNTRY_CODES, n_bursts), 0)
    channel = rng.choice([_ONLINE, _CONTACTLESS, _IN_STORE], n_bursts, p=[0.65, 0.25, 0.1])
    size = rng.choice(_BURST_SIZES, n_bursts, p=_BURST_P)
    burst = np.repeat(np.arange(n_bursts), size)
    n = len(burst)
    first = np.r_[True, burst[1:] != burst[:-1]] if n else np.zeros(0, dtype=bool)
    t = t0[burst] + np.where(first, 0, rng.integers(30, 3300, n))
    risky = rng.random(n) < 0.45
    cat = np.where(
        risky,
        rng.choice(np.array(RISKY_CATEGORIES), n),
        rng.choice(_ORDINARY_CATEGORIES, n),
    )
    idx = victim[burst]
    log_amount = pop.amount_mu[idx] + 1.1 + 0.5 * CATEGORY_LOG_SHIFT[cat] + rng.normal(0, 0.8, n)
    return {
        "cust": idx,
        "t": t,
        "cat": cat,
        "channel": channel[burst],
        "country": country[burst],
        "amount": np.exp(log_amount).round(2),
        "merchant": merchants.pick(rng, cat, skew=1.0),
        "fraud": np.ones(n, dtype=bool),
    }


def _deliver(
    rng: np.random.Generator,
    cols: dict[str, np.ndarray],
    first_id: int,
    merchants: Merchants,
    stats: TransactionStats,
) -> tuple[pa.Table, np.ndarray]:
    """Add delivery mess (delays, duplicates, nulls, outliers, spellings); return the table
    and each row's ingestion month index (12 = lands after ``as_of``, so not in the lake)."""
    n = len(cols["t"])
    delay = np.minimum(rng.lognormal(np.log(120), 1.5, n), 6 * 3600).astype(np.int64)
    late = rng.random(n) < 0.03
    delay = np.where(late, rng.integers(DAY_S, 21 * DAY_S, n), delay)
    ingested = cols["t"] + delay
    landed = month_index(ingested) < len(MONTHS)
    stats.transactions += int(landed.sum())
    stats.fraud += int((landed & cols["fraud"]).sum())
    stats.late += int((landed & late).sum())
    # ~0.5% delivered twice: half in the same instant, half re-sent hours to days later.
    # The mess below is drawn per delivered row, so a copy may differ from its original (a
    # lost amount, another spelling), as redelivered rows do; staging keeps one by content.
    dup = np.flatnonzero(rng.random(n) < 0.005)
    resend = np.where(rng.random(len(dup)) < 0.5, 0, rng.integers(3600, 3 * DAY_S, len(dup)))
    rows = np.concatenate([np.arange(n), dup])
    ingested = np.concatenate([ingested, ingested[dup] + resend])
    amount = cols["amount"][rows]
    u = rng.random(len(rows))
    amount = np.where(u < 0.0005, amount * 100, np.where(u > 0.9995, -amount, amount))
    table = pa.table(
        [
            prefixed_ids("T", first_id + rows, 10),
            pa.array(cols["customer_id"][rows], pa.int64()),
            to_timestamp(cols["t"][rows]),
            to_timestamp(ingested),
            pa.array(amount, mask=rng.random(len(rows)) < 0.005),
            merchants.ids.take(pa.array(cols["merchant"][rows])),
            spell(rng, cols["cat"][rows], list(CATEGORY_SPELLINGS.values())),
            pa.array(CHANNELS).take(pa.array(cols["channel"][rows])),
            spell(rng, cols["country"][rows], [(c, c.lower()) for c in COUNTRIES], (0.97, 0.03)),
            pa.array(cols["fraud"][rows]),
        ],
        schema=SCHEMA,
    )
    return table, month_index(ingested)


def _write_partition(root: Path, month: int, tables: list[pa.Table]) -> int:
    """Write one ingestion-month partition sorted by arrival; return its row count."""
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    table = table.sort_by([("ingested_at", "ascending"), ("transaction_id", "ascending")])
    folder = root / f"month={MONTH_LABELS[month]}"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-0.parquet", compression="zstd")
    return table.num_rows
