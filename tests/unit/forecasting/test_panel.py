"""Bad histories are refused with the model, the column and the fix, or get a stated
fallback; frequencies are inferred from the data."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from dbt_automl.errors import ConfigError, TrainingDataError
from dbt_automl.forecasting import build_panel, parse_forecast_config
from tests.unit.forecasting.conftest import config, daily_sales, table_of


def test_a_missing_time_column_names_the_model_the_column_and_the_fix(log) -> None:
    frame = daily_sales().drop(columns=["sale_date"])
    with pytest.raises(TrainingDataError, match=r"sales_forecast_model, column 'sale_date'.*Fix:"):
        build_panel(table_of(frame), config(), log)


def test_duplicate_timestamps_within_a_series_are_refused(log) -> None:
    frame = daily_sales()
    frame = pd.concat([frame, frame.iloc[[5]]])
    with pytest.raises(TrainingDataError, match=r"share a timestamp.*Fix: aggregate"):
        build_panel(table_of(frame), config(), log)


def test_unparseable_times_are_refused(log) -> None:
    frame = daily_sales().astype({"sale_date": str})
    frame.loc[frame.index[:50], "sale_date"] = "not a date"
    with pytest.raises(TrainingDataError, match=r"column 'sale_date'.*not dates"):
        build_panel(table_of(frame), config(), log)


def test_an_irregular_frequency_is_refused(log) -> None:
    frame = daily_sales(branches=1)
    rng = np.random.default_rng(1)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.uniform(0, 400, len(frame))), unit="D"
    )
    frame["sale_date"] = stamps
    frame = frame.drop_duplicates(["branch_id", "product_line", "sale_date"])
    with pytest.raises(TrainingDataError, match=r"irregular frequency.*Fix:"):
        build_panel(table_of(frame), config(), log)


def test_a_horizon_longer_than_the_history_is_refused(log) -> None:
    with pytest.raises(TrainingDataError, match=r"meta.automl.horizon.*longest history"):
        build_panel(table_of(daily_sales(days=30)), config(horizon=40), log)


def test_an_unknown_frequency_setting_names_the_key(log) -> None:
    with pytest.raises(ConfigError, match=r"meta.automl.frequency"):
        build_panel(table_of(daily_sales()), config(frequency="fortnightly-ish"), log)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("W-SUN", "W-SUN"), ("MS", "MS"), ("QS", "QS"), ("h", "h"), ("YE", "YE")],
)
def test_the_frequency_is_inferred_and_logged(
    freq: str, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    stamps = pd.date_range("2020-01-01", periods=60, freq=freq)
    frame = pd.DataFrame({"t": stamps, "y": np.arange(60.0)})
    raw = {"task": "forecasting", "target": "y", "time_column": "t", "horizon": 4}
    with caplog.at_level(logging.INFO):
        panel = build_panel(table_of(frame), parse_forecast_config(raw, "m"), logging.getLogger())
    assert panel.freq == expected
    assert f"frequency {expected!r} inferred" in caplog.text


def test_missing_periods_are_filled_and_counted(log) -> None:
    frame = daily_sales(branches=1)
    dropped = frame.drop(index=frame.index[[10, 11, 12, 300]])
    panel = build_panel(table_of(dropped), config(), log)
    assert panel.notes["missing_periods_filled"] == {"periods": 4, "series": 1}
    sizes = panel.frame.groupby("unique_id").size()
    assert sizes.nunique() == 1 and sizes.iloc[0] == 420  # every series on its full grid


def test_short_constant_and_ended_series_are_set_aside_with_a_reason(log) -> None:
    frame = daily_sales(branches=1)
    last = pd.Timestamp(frame["sale_date"].max())
    extra = pd.DataFrame(
        {
            "sale_date": [(last - pd.Timedelta(days=d)).date() for d in (1, 0)]
            + [d.date() for d in pd.date_range(last - pd.Timedelta(days=99), last)]
            + [d.date() for d in pd.date_range("2024-01-01", periods=100)],
            "branch_id": ["NEW"] * 2 + ["FLAT"] * 100 + ["GONE"] * 100,
            "product_line": "x",
            "units": [3.0, 4.0] + [0.0] * 100 + [5.0] * 100,
            "promo": 0.0,
        }
    )
    panel = build_panel(table_of(pd.concat([frame, extra])), config(), log)
    assert panel.short == ["NEW | x"]
    assert panel.constant == ["FLAT | x"]
    assert list(panel.ended) == ["GONE | x"]
    assert "GONE | x" not in panel.ids()
