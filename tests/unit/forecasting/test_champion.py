"""Forecasting champion and challenger with real fits, through train() as a python model
calls it: the champion's recipe is backtested on the challenger's windows, a better
challenger is promoted, a worse one kept out, and a recipe that cannot run falls back to
the recorded backtests, saying why."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from dbt_automl import train
from dbt_automl.dbt import _judge_forecast
from dbt_automl.registry import Registry
from tests.unit.forecasting.conftest import daily_sales
from tests.unit.forecasting.conftest import settings as sales_settings

SAME_WINDOWS = "on the same backtest windows (the champion's recipe refitted)"


def _settings(registry: Path, **extra: object) -> dict:
    cheap = {"candidates": ["seasonal_naive", "theta"], "time_budget_s": 10}
    return sales_settings(**{**cheap, "registry_path": str(registry), **extra})


def _trained(con: duckdb.DuckDBPyConnection, sales: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """``sales`` stored as the feature table, then trained on as the python model does;
    the trained-model table, one row per version."""
    con.register("incoming", sales)
    con.execute("create or replace table sales as select * from incoming")
    con.unregister("incoming")
    dbt = SimpleNamespace(this='"warehouse"."main"."sales_model"')
    return train(dbt, con, con.table("sales"), settings).to_pandas().set_index("version")


def _last_event(registry: Path) -> dict:
    return Registry(registry).history("sales_model")[-1]


def test_a_better_challenger_beats_the_champions_recipe_on_its_windows(con, tmp_path) -> None:
    registry = tmp_path / "registry"
    first = _trained(
        con, daily_sales(branches=2, days=200), _settings(registry, candidates=["seasonal_naive"])
    )
    table = _trained(con, daily_sales(branches=2, days=230, seed=1), _settings(registry))
    event = _last_event(registry)
    assert (event["version"], event["action"], event["champion_version"]) == (2, "promoted", 1)
    assert SAME_WINDOWS in event["reason"]
    # The naive-only champion, refitted at v2's cutoffs, scores v2's own naive baseline,
    # not the MASE it recorded on its own (older, shorter) history.
    assert event["champion_score"] == pytest.approx(table.loc[2, "test_seasonal_naive_mase"])
    assert event["champion_score"] != pytest.approx(first.loc[1, "test_mase"])
    assert event["challenger_score"] == pytest.approx(table.loc[2, "test_mase"])
    assert event["challenger_score"] < event["champion_score"]
    assert table["status"].to_dict() == {1: "retired", 2: "champion"}


def test_a_worse_challenger_is_kept_out_and_the_champion_serves(con, tmp_path) -> None:
    registry = tmp_path / "registry"
    _trained(con, daily_sales(branches=2, days=200), _settings(registry))
    weaker = _settings(registry, candidates=["seasonal_naive"])
    table = _trained(con, daily_sales(branches=2, days=230, seed=1), weaker)
    event = _last_event(registry)
    assert (event["version"], event["action"], event["champion_version"]) == (2, "rejected", 1)
    assert SAME_WINDOWS in event["reason"]
    assert event["champion_score"] < event["challenger_score"]
    assert table["status"].to_dict() == {1: "champion", 2: "rejected"}
    assert table["is_current"].to_dict() == {1: True, 2: False}


@pytest.fixture
def warnings_seen(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """The judge's warnings, through stdlib logging (inside dbt they go to dbt's log)."""
    monkeypatch.setattr(_judge_forecast, "get_logger", lambda: logging.getLogger("judge"))
    with caplog.at_level(logging.WARNING, logger="judge"):
        yield caplog


def test_a_champion_whose_covariate_is_gone_is_compared_as_recorded(
    con, tmp_path, warnings_seen
) -> None:
    registry = tmp_path / "registry"
    with_promo = _settings(
        registry, candidates=["seasonal_naive", "lightgbm"], known_covariates=["promo"]
    )
    first = _trained(con, daily_sales(branches=2, days=200), with_promo)
    sales = daily_sales(branches=2, days=230, seed=1).drop(columns=["promo"])
    _trained(con, sales, _settings(registry))
    event = _last_event(registry)
    assert "each on its own holdout" in event["reason"]
    assert event["champion_score"] == pytest.approx(first.loc[1, "test_mase"])
    assert "v1's recipe not backtested on the challenger's windows" in warnings_seen.text
    assert "column 'promo': not in the training table" in warnings_seen.text


def test_a_champion_of_another_horizon_is_compared_as_recorded(
    con, tmp_path, warnings_seen
) -> None:
    registry = tmp_path / "registry"
    sales = daily_sales(branches=2, days=200)
    first = _trained(con, sales, _settings(registry))
    _trained(con, sales, _settings(registry, horizon=7))
    event = _last_event(registry)
    assert "each on its own holdout" in event["reason"]
    assert event["champion_score"] == pytest.approx(first.loc[1, "test_mase"])
    assert "its horizon was 14, now 7" in warnings_seen.text
