"""The forecasting engine on small real panels: it beats seasonal naive on its backtest,
its intervals cover about their level, every series gets every period, fallbacks are
stated, and the trained model pickles and forecasts the same."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pandas as pd
import pytest

from dbt_automl.forecasting import train_forecaster
from tests.unit.forecasting.conftest import config, daily_sales, table_of


@pytest.fixture(scope="module")
def trained():
    frame = daily_sales(branches=3, days=420)
    last = pd.Timestamp(frame["sale_date"].max())
    extra = pd.DataFrame(
        {
            "sale_date": [(last - pd.Timedelta(days=1)).date(), last.date()]
            + [d.date() for d in pd.date_range(last - pd.Timedelta(days=99), last)],
            "branch_id": ["NEW", "NEW"] + ["FLAT"] * 100,
            "product_line": "x",
            "units": [3.0, 4.0] + [0.0] * 100,
            "promo": 0.0,
        }
    )
    cfg = config(known_covariates=["promo"])
    result = train_forecaster(
        table_of(pd.concat([frame, extra])), cfg, logging.getLogger("forecast")
    )
    future = frame[frame["sale_date"] == last.date()][["branch_id", "product_line"]]
    periods = pd.date_range(last + pd.Timedelta(days=1), periods=cfg.horizon)
    future = future.merge(pd.DataFrame({"sale_date": periods}), how="cross").assign(promo=0.0)
    return result, future


def test_the_chosen_forecast_beats_seasonal_naive_on_the_backtest(trained) -> None:
    result, _ = trained
    assert result.metrics["relative_mase"] < 1.0
    assert result.metrics["mase"] < result.metrics["seasonal_naive_mase"]
    assert {row["candidate"] for row in result.leaderboard} >= {"seasonal_naive", "theta"}


def test_intervals_cover_about_their_level_on_the_backtest(trained) -> None:
    result, _ = trained
    assert 0.65 <= result.metrics["coverage_80"] <= 0.95
    assert result.metrics["coverage_95"] >= result.metrics["coverage_80"]


def test_every_series_gets_every_period_and_nested_intervals(trained) -> None:
    result, future = trained
    forecast = result.model.predict(future, logging.getLogger("forecast"))
    sizes = forecast.groupby("unique_id").size()
    assert set(sizes) == {14} and len(sizes) == 8  # 6 modelled + 2 fallbacks
    for _, rows in forecast.groupby("unique_id"):
        assert (rows["ds"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert (forecast["lo_95"] <= forecast["lo_80"]).all()
    assert (forecast["lo_80"] <= forecast["forecast"]).all()
    assert (forecast["forecast"] <= forecast["hi_80"]).all()
    assert (forecast["forecast"] >= 0).all()  # histories were never negative


def test_fallbacks_forecast_by_their_last_value_and_say_so(trained) -> None:
    result, future = trained
    forecast = result.model.predict(future, logging.getLogger("forecast"))
    new = forecast[forecast["unique_id"] == "NEW | x"]
    assert (new["forecast"] == 4.0).all() and (new["candidate"] == "naive (fallback)").all()
    flat = forecast[forecast["unique_id"] == "FLAT | x"]
    assert (flat["forecast"] == 0.0).all()
    assert result.decisions["fallbacks"]["too_short_naive"] == ["NEW | x"]
    assert result.decisions["fallbacks"]["constant"] == ["FLAT | x"]


def test_missing_future_covariates_are_carried_forward_and_said(
    trained, caplog: pytest.LogCaptureFixture
) -> None:
    result, future = trained
    if "lightgbm" not in result.model.strategy.default and not result.model.strategy.members:
        pytest.skip("the global model was not chosen, so no covariate is read")
    with caplog.at_level(logging.WARNING):
        result.model.predict(future.iloc[: len(future) // 2], logging.getLogger("forecast"))
    assert "future value(s) of known covariates are missing" in caplog.text


def test_the_trained_model_pickles_and_forecasts_the_same(trained) -> None:
    result, future = trained
    log = logging.getLogger("forecast")
    again = pickle.loads(pickle.dumps(result.model))
    np.testing.assert_allclose(
        again.predict(future, log)["forecast"], result.model.predict(future, log)["forecast"]
    )


def test_a_candidate_that_does_not_fit_the_budget_is_skipped_saying_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = config(candidates=["seasonal_naive", "arima"], time_budget_s=2)
    with caplog.at_level(logging.INFO):
        result = train_forecaster(table_of(daily_sales(branches=2)), cfg, logging.getLogger())
    assert "arima" in result.decisions["skipped"]
    assert "candidate arima" in caplog.text and "skipped" in caplog.text


def test_the_baselines_time_is_not_the_searchs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A cold numba cache made the first seasonal naive take 4.4 s of a 6 s budget and every
    # candidate was skipped. Here it takes 2.5 s longer than it does (a real fit plus the
    # wait) against a 3 s budget: theta must still be backtested.
    import time

    from dbt_automl.forecasting import _engine

    real = _engine.stats_cv

    def slow_baseline(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if args[3] == "seasonal_naive":
            time.sleep(2.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(_engine, "stats_cv", slow_baseline)
    cfg = config(candidates=["seasonal_naive", "theta"], time_budget_s=3)
    result = train_forecaster(table_of(daily_sales(branches=2)), cfg, logging.getLogger())
    assert "theta" not in result.decisions["skipped"]
    assert "theta" in {row["candidate"] for row in result.leaderboard}


def test_past_covariates_enter_through_their_value_one_horizon_back() -> None:
    frame = daily_sales(branches=1, days=200)
    cfg = config(past_covariates=["promo"], candidates=["seasonal_naive", "lightgbm"])
    log = logging.getLogger("forecast")
    result = train_forecaster(table_of(frame), cfg, log)
    model = result.model
    future = model.future_frame(None, log)
    assert future is not None and "promo__lag14" in future.columns
    last = (
        frame[frame["branch_id"] == "BR0"]
        .groupby("product_line")["promo"]
        .apply(lambda s: s.iloc[-14:].to_numpy())
    )
    cards = future[future["unique_id"] == "BR0 | cards"]["promo__lag14"].to_numpy()
    np.testing.assert_array_equal(cards, last["cards"])  # the last 14 known values, in order
    forecast = model.predict(None, log)
    assert len(forecast) == 2 * 14 and forecast["forecast"].notna().all()
