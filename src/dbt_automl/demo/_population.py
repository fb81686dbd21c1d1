"""The demo bank's customers: hidden traits that drive every file, and ``customers.csv``.

Churn is planted here. Static traits (tier, products, tenure, complaints) set a risk score;
the top ~15% of score plus logistic noise churn. Most churners then fade out: their
transaction and login intensity declines linearly from a start 40-120 days before ``as_of``.
About a fifth of churners stay "silent" (no decline), and some loyal customers dip or decline
too, so the label is learnable from aggregates but not perfectly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from dbt_automl.demo._common import (
    CATEGORIES,
    DAY_S,
    REGION_SPELLINGS,
    TIER_SPELLINGS,
    WINDOW_END_S,
    WINDOW_START_S,
    spell,
    to_timestamp,
)

CHURN_RATE = 0.15
FIRST_CUSTOMER_ID = 100_001
#: Mean yearly transactions of an always-active customer at activity 1.0.
_TX_PER_YEAR = 52.0

# Personas give customers distinct category mixes without a per-customer distribution matrix.
_PERSONA_CATEGORY_WEIGHTS = np.array(
    [
        # groc rest fuel retail travel util ent health elec gift crypto cash
        [34, 12, 10, 12, 1, 9, 5, 8, 2.0, 0.8, 0.2, 6],  # household
        [14, 24, 18, 10, 3, 6, 9, 4, 3.0, 1.0, 0.5, 7],  # commuter
        [12, 14, 5, 30, 3, 5, 8, 4, 9.0, 2.0, 1.5, 3],  # shopper
        [10, 22, 8, 10, 22, 5, 8, 4, 3.0, 1.0, 0.5, 6],  # traveller
    ]
)
PERSONA_CATEGORY_P = _PERSONA_CATEGORY_WEIGHTS / _PERSONA_CATEGORY_WEIGHTS.sum(1, keepdims=True)
_TRAVELLER = 3
assert PERSONA_CATEGORY_P.shape[1] == len(CATEGORIES)
#: Log-amount shift per category: a flight costs more than a coffee.
_LOG_SHIFT = {"grocery": 0.3, "fuel": 0.2, "retail": 0.4, "travel": 1.4, "utilities": 0.9}
_LOG_SHIFT |= {"health": 0.3, "electronics": 1.3, "gift_cards": 0.7, "crypto": 1.5, "cash": 0.9}
CATEGORY_LOG_SHIFT = np.array([_LOG_SHIFT.get(name, 0.0) for name in CATEGORIES])


@dataclass(frozen=True)
class Population:
    """Per-customer traits as parallel arrays (index = position, not ``customer_id``)."""

    customer_id: np.ndarray
    signup_s: np.ndarray
    tier: np.ndarray  # 0 basic, 1 gold, 2 platinum
    region: np.ndarray
    product_count: np.ndarray
    complaint_count: np.ndarray
    churned: np.ndarray
    tx_rate: np.ndarray  # expected transactions per day while fully active
    login_rate: np.ndarray  # expected logins per day while fully active
    amount_mu: np.ndarray  # log of the customer's typical amount
    persona: np.ndarray
    online_share: np.ndarray
    foreign_share: np.ndarray
    night_share: np.ndarray
    device: np.ndarray  # 0 ios, 1 android, 2 web
    decline_start_s: np.ndarray  # +inf when the customer never fades
    decline_floor: np.ndarray
    dip_start_s: np.ndarray
    dip_end_s: np.ndarray

    @property
    def size(self) -> int:
        """Number of distinct customers."""
        return len(self.customer_id)

    def intensity(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Activity multiplier in [0, 1] of customers ``idx`` at times ``t`` (for thinning)."""
        factor = (t >= self.signup_s[idx]).astype(float)
        start = self.decline_start_s[idx]
        progress = np.clip((t - start) / np.maximum(WINDOW_END_S - start, 1.0), 0.0, 1.0)
        factor *= 1.0 - (1.0 - self.decline_floor[idx]) * progress
        in_dip = (t >= self.dip_start_s[idx]) & (t < self.dip_end_s[idx])
        return np.where(in_dip, factor * 0.15, factor)

    def is_fading(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        """True where a customer is past the start of a decline (drives complaints, chats)."""
        return t >= self.decline_start_s[idx]


def make_population(rng: np.random.Generator, n: int, activity: float) -> Population:
    """Draw ``n`` customers; ``activity`` scales how often they transact."""
    tenure_days = np.clip(rng.exponential(4 * 365, n) + 20, 20, 25 * 365)
    tier = rng.choice(3, n, p=[0.55, 0.33, 0.12])
    products = np.clip(1 + rng.poisson(0.6 + 0.7 * tier), 1, 8)
    complaints = rng.poisson(0.5 * rng.gamma(0.6, 1.0, n))
    churned = _draw_churn(rng, tier, products, tenure_days, complaints)
    persona = rng.choice(4, n, p=[0.35, 0.3, 0.2, 0.15])
    tx_rate = rng.lognormal(np.log(_TX_PER_YEAR / 365) - 0.18, 0.6, n) * activity
    night_owl = rng.random(n) < 0.05
    return Population(
        customer_id=FIRST_CUSTOMER_ID + np.arange(n, dtype=np.int64),
        signup_s=(WINDOW_END_S - tenure_days * DAY_S).astype(np.int64),
        tier=tier,
        region=rng.choice(5, n, p=[0.24, 0.22, 0.2, 0.2, 0.14]),
        product_count=products,
        complaint_count=complaints,
        churned=churned,
        tx_rate=tx_rate,
        login_rate=0.3 * tx_rate + rng.lognormal(np.log(2.0 / 30), 0.7, n),
        amount_mu=rng.normal(np.log(35.0), 0.45, n),
        persona=persona,
        online_share=np.clip(rng.beta(2, 5, n) + 0.15 * (persona == 2), 0, 0.9),
        foreign_share=np.where(persona == _TRAVELLER, 0.08, 0.004),
        night_share=np.where(night_owl, 0.25, 0.02),
        device=rng.choice(3, n, p=[0.45, 0.4, 0.15]),
        **_draw_fading(rng, churned),
    )


def _draw_churn(
    rng: np.random.Generator,
    tier: np.ndarray,
    products: np.ndarray,
    tenure_days: np.ndarray,
    complaints: np.ndarray,
) -> np.ndarray:
    """Label the riskiest ~15% as churners; the logistic noise keeps static traits imperfect."""
    score = (
        1.1 * (tier == 0)
        - 0.7 * (tier == 2)
        - 0.45 * (products - 1)
        + 0.9 * (tenure_days < 365)
        + 0.4 * (tenure_days < 730)
        + 0.35 * complaints
        + rng.logistic(0.0, 1.0, len(tier))
    )
    return score >= np.quantile(score, 1 - CHURN_RATE)


def _draw_fading(rng: np.random.Generator, churned: np.ndarray) -> dict[str, np.ndarray]:
    """Who declines (most churners, a few loyal customers) and who dips for a holiday."""
    n = len(churned)
    u = rng.random(n)
    declines = np.where(churned, u < 0.82, u < 0.03)
    lead_days = np.where(churned, rng.uniform(40, 120, n), rng.uniform(30, 150, n))
    floor = np.where(churned, rng.beta(1.0, 5.0, n), rng.uniform(0.3, 0.7, n))
    dips = rng.random(n) < np.where(churned, 0.05, 0.08)
    dip_start = WINDOW_END_S - rng.uniform(20, 150, n) * DAY_S
    dip_end = dip_start + rng.uniform(14, 45, n) * DAY_S
    return {
        "decline_start_s": np.where(declines, WINDOW_END_S - lead_days * DAY_S, np.inf),
        "decline_floor": floor,
        "dip_start_s": np.where(dips, dip_start, 0.0),
        "dip_end_s": np.where(dips, dip_end, 0.0),
    }


def write_customers_csv(rng: np.random.Generator, pop: Population, path: Path) -> int:
    """Write ``customers.csv`` with nulls, outliers, messy spellings and ~1% duplicates.

    Returns the number of data rows written (duplicates included).
    """
    dup = np.flatnonzero(rng.random(pop.size) < 0.01)
    # Row order of a real export: every customer once plus re-exported updates, shuffled.
    rows = rng.permutation(np.concatenate([np.arange(pop.size), dup]))
    first = np.zeros(len(rows), dtype=bool)
    first[np.unique(rows, return_index=True)[1]] = True
    table = _customer_columns(rng, pop, rows, is_update=~first)
    pa_csv.write_csv(table, path)
    return table.num_rows


def _customer_columns(
    rng: np.random.Generator, pop: Population, rows: np.ndarray, is_update: np.ndarray
) -> pa.Table:
    """CSV columns for ``rows`` (customer indices); an update is newer and may differ."""
    n, m = pop.size, len(rows)
    span = WINDOW_END_S - WINDOW_START_S - 90 * DAY_S
    updated = (WINDOW_START_S + rng.integers(0, span, n))[rows]
    updated = updated + is_update * rng.integers(DAY_S, 60 * DAY_S, m)
    income = rng.lognormal(np.log(45_000) + 0.35 * pop.tier, 0.5)[rows]
    income = np.where(is_update, income * rng.normal(1.0, 0.05, m), income).round(2)
    outlier = rng.random(m)
    income = np.where(outlier < 0.003, income * 50, income)
    income = np.where(outlier > 0.998, -1.0, income)
    birth = np.clip(rng.normal(1978, 14, n), 1935, 2007).astype(np.int64)[rows]
    birth = np.where(rng.random(m) < 0.003, rng.choice([1880, 1900, 2031, 2035], m), birth)
    products = pop.product_count[rows] + (is_update & (rng.random(m) < 0.3))
    signup = (pop.signup_s[rows] // DAY_S).astype("datetime64[D]")
    has_card = rng.random(n) < 0.45 + 0.15 * pop.tier
    return pa.table(
        {
            "customer_id": pa.array(pop.customer_id[rows]),
            "signup_date": pa.array(signup, pa.date32(), mask=rng.random(m) < 0.02),
            "birth_year": pa.array(birth, mask=rng.random(m) < 0.03),
            "region": spell(rng, pop.region[rows], list(REGION_SPELLINGS.values())),
            "tier": spell(rng, pop.tier[rows], list(TIER_SPELLINGS.values())),
            "annual_income": pa.array(income, mask=rng.random(m) < 0.06),
            "product_count": pa.array(products.astype(np.int64)),
            "has_credit_card": pa.array(np.where(has_card[rows], "Y", "N").tolist()),
            "complaint_count": pa.array(pop.complaint_count[rows].astype(np.int64)),
            "churned": pa.array(np.where(pop.churned[rows], "Yes", "No").tolist()),
            "updated_at": to_timestamp(updated, unit="s"),
        }
    )
