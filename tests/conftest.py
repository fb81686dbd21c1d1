"""Shared fixtures: small real tables in a real DuckDB file."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def log() -> logging.Logger:
    """A stdlib logger standing in for dbt's (same info/warning calls)."""
    return logging.getLogger("dbt_automl.tests")


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB file per test."""
    connection = duckdb.connect(str(tmp_path / "test.duckdb"))
    yield connection
    connection.close()


def churn_like_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A small labelled table with every column kind: numbers, nulls, text, dates, booleans."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 3000, n).astype(float)
    spend = rng.gamma(2.0, 50.0, n)
    tier = rng.choice(["basic", "gold", "platinum"], n, p=[0.6, 0.3, 0.1])
    merchant = np.array([f"m{i}" for i in rng.integers(0, 80, n)])
    logit = -1.0 - tenure / 1000 + (tier == "basic") * 1.5 - spend / 100
    label = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "tenure_days": tenure,
            "spend_90d": np.where(rng.random(n) < 0.1, np.nan, spend),
            "tier": tier,
            "favourite_merchant": merchant,
            "signup_at": pd.Timestamp("2020-01-01") + pd.to_timedelta(3000 - tenure, unit="D"),
            "has_card": rng.random(n) < 0.5,
            "is_churned": label,
        }
    )
    return frame


@pytest.fixture
def churn_table(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """``churn_like_frame`` stored as a DuckDB table and returned as a relation."""
    frame = churn_like_frame()
    con.register("frame_view", frame)
    con.execute("create table features as select * from frame_view")
    con.unregister("frame_view")
    return con.table("features")
