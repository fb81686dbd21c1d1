"""Small real panels of daily sales: seasonal, with a promotion covariate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.forecasting import ForecastConfig, parse_forecast_config


def daily_sales(
    branches: int = 3, days: int = 420, seed: int = 0, start: str = "2024-01-01"
) -> pd.DataFrame:
    """Poisson daily units per branch x product: weekly pattern, level per series, and a
    promotion flag lifting sales by half."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days)
    frames = []
    for b in range(branches):
        for k, product in enumerate(("cards", "loans")):
            promo = (rng.random(days) < 0.1).astype(float)
            level = 8 + 6 * b + 3 * k
            rate = level * (1 + 0.5 * np.sin(2 * np.pi * t / 7)) * (1 + 0.5 * promo)
            frames.append(
                pd.DataFrame(
                    {
                        "sale_date": dates.date,
                        "branch_id": f"BR{b}",
                        "product_line": product,
                        "units": rng.poisson(rate).astype(float),
                        "promo": promo,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def table_of(frame: pd.DataFrame) -> pa.Table:
    """The frame as the Arrow table a feature model hands the engine."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def settings(**overrides: object) -> dict[str, object]:
    """``meta.automl`` of a forecasting model over :func:`daily_sales`' columns, cheap
    candidates, with ``overrides``."""
    return {
        "task": "forecasting",
        "target": "units",
        "time_column": "sale_date",
        "series_columns": ["branch_id", "product_line"],
        "horizon": 14,
        "candidates": ["seasonal_naive", "theta", "lightgbm"],
        "time_budget_s": 60,
        **overrides,
    }


def config(**overrides: object) -> ForecastConfig:
    """The parsed :func:`settings`."""
    return parse_forecast_config(settings(**overrides), "sales_forecast_model")
