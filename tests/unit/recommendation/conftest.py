"""Small real interaction tables with planted taste groups, so that models that learn who
is like whom (item-item, ALS) beat recommending the most popular items to everyone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.recommendation import RecommendConfig, parse_recommend_config


def interactions(
    users: int = 240, groups: int = 4, items_per_group: int = 15, per_user: int = 12, seed: int = 0
) -> pd.DataFrame:
    """Customers x merchant categories: each customer belongs to a taste group and mostly
    (85 %) buys that group's categories, the rest from the whole catalogue; one row per
    purchase with an amount and a day (some pairs bought more than once)."""
    rng = np.random.default_rng(seed)
    n_items = groups * items_per_group
    # Within a group, a few categories are much more popular than others.
    appeal = 1 / np.arange(1, items_per_group + 1) ** 0.7
    rows = []
    for u in range(users):
        group = u % groups
        own = group * items_per_group + rng.choice(
            items_per_group, size=per_user, p=appeal / appeal.sum()
        )
        other = rng.integers(0, n_items, size=per_user)
        picks = np.where(rng.random(per_user) < 0.85, own, other)
        days = np.sort(rng.integers(0, 365, size=per_user))
        for item, day in zip(picks, days, strict=True):
            rows.append((f"c{u:04d}", f"m{item:02d}", round(float(rng.gamma(2, 20)), 2), day))
    frame = pd.DataFrame(rows, columns=["customer_id", "merchant_category", "amount", "day"])
    frame["purchased_at"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["day"], "D")
    return frame.drop(columns="day")


def table_of(frame: pd.DataFrame) -> pa.Table:
    """The frame as the Arrow table a feature model hands the engine."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def config(**settings: object) -> RecommendConfig:
    """A recommendation config over :func:`interactions`' columns, a small budget."""
    raw = {
        "task": "recommendation",
        "user_column": "customer_id",
        "item_column": "merchant_category",
        "weight_column": "amount",
        "time_column": "purchased_at",
        "n": 5,
        "time_budget_s": 8,
        **settings,
    }
    return parse_recommend_config(raw, "card_offer_model")


class Recorder:
    """A logger that keeps its lines, so a test can read what was said."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)

    def warning(self, msg: str) -> None:
        self.lines.append(msg)

    def said(self, *words: str) -> list[str]:
        """The lines holding every one of ``words``."""
        return [line for line in self.lines if all(w in line for w in words)]
