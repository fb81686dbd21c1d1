"""Small real tables with planted anomalies: card transactions and machine readings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dbt_automl.anomaly import AnomalyConfig, parse_anomaly_config

N_PLANTED = 12


def transactions(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Card transactions; the first N_PLANTED are frauds: huge amounts at night, far from
    home, at a merchant kind rarely used. ``is_fraud`` is null except on a few rows."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "transaction_id": np.arange(1, n + 1) * 7,
            "amount": rng.gamma(2.0, 25.0, n),
            "hour": rng.normal(14, 3, n).clip(0, 23),
            "distance_km": rng.exponential(5.0, n),
            "merchant_kind": rng.choice(["grocery", "fuel", "online"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    planted = np.arange(N_PLANTED)
    frame.loc[planted, "amount"] = rng.uniform(2_000, 5_000, N_PLANTED)
    frame.loc[planted, "hour"] = rng.uniform(1, 4, N_PLANTED)
    frame.loc[planted, "distance_km"] = rng.uniform(300, 900, N_PLANTED)
    label = pd.Series([None] * n, dtype=object)
    label[:6] = True  # six confirmed frauds...
    label[100:140] = False  # ...and forty rows checked and found fine
    frame["is_fraud"] = label
    return frame


def table_of(frame: pd.DataFrame) -> pa.Table:
    """Arrow, with the label column typed boolean (nullable)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if "is_fraud" in frame:
        index = table.schema.get_field_index("is_fraud")
        values = [None if pd.isna(v) else bool(v) for v in frame["is_fraud"]]
        labels = pa.array(values, pa.bool_())
        table = table.set_column(index, "is_fraud", labels)
    return table


def readings(machines: int = 6, days: int = 60, seed: int = 1) -> pd.DataFrame:
    """Machine x day rows with 7-day rolling mean and spread of temperature and vibration,
    as the SQL feature model builds them; machine T3 overheats in its last 5 days."""
    rng = np.random.default_rng(seed)
    frames = []
    for m in range(machines):
        temperature = rng.normal(40, 1.5, days)
        vibration = rng.normal(2.0, 0.2, days)
        if m == 3:
            temperature[-5:] += np.linspace(15, 30, 5)
            vibration[-5:] *= 3
        frame = pd.DataFrame(
            {
                "terminal_id": f"T{m}",
                "reading_date": pd.date_range("2025-01-01", periods=days).date,
                "temperature": temperature,
                "vibration": vibration,
            }
        )
        for column in ("temperature", "vibration"):
            rolling = frame[column].rolling(7, min_periods=1)
            frame[f"{column}_mean_7d"] = rolling.mean()
            frame[f"{column}_std_7d"] = rolling.std().fillna(0.0)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def settings(**extra: object) -> dict:
    """A quick anomaly block: every family, a small budget."""
    return {"task": "anomaly", "id_columns": ["transaction_id"], "time_budget_s": 20, **extra}


def config(**extra: object) -> AnomalyConfig:
    """Validated settings for the transactions table."""
    return parse_anomaly_config(settings(**extra), "fraud_detector")


@pytest.fixture(scope="module")
def fraud() -> pa.Table:
    """Transactions without the label column."""
    return table_of(transactions().drop(columns=["is_fraud"]))


@pytest.fixture(scope="module")
def labelled_fraud() -> pa.Table:
    """Transactions with a few labels."""
    return table_of(transactions())
