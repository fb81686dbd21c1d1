"""Forecasting (``task: forecasting``): many series, rolling-origin backtests, calibrated
intervals.

Its own task module beside the supervised engine: :func:`build_panel` turns a training
table into a regular panel (refusing or stating a fallback for every problem with the
history), :func:`train_forecaster` backtests the candidates (seasonal naive, Theta, ETS,
MSTL, ARIMA from statsforecast; a global LightGBM from mlforecast) under the time budget,
chooses how to combine them, calibrates conformal intervals on the backtest residuals and
refits; :class:`ForecastModel` is what a registry version holds and forecasts from. A
:class:`Recipe` (another version's candidates and strategy) is measured on a run's backtest
windows by ``ForecastResult.evaluate_recipe``.
"""

from __future__ import annotations

from dbt_automl.forecasting._config import (
    CANDIDATES,
    FORECAST_TASK,
    ForecastConfig,
    is_forecasting,
    parse_forecast_config,
)
from dbt_automl.forecasting._engine import ForecastResult, train_forecaster
from dbt_automl.forecasting._model import FORECAST, ForecastModel
from dbt_automl.forecasting._panel import Panel, build_panel
from dbt_automl.forecasting._recipe import Recipe

__all__ = [
    "CANDIDATES",
    "FORECAST",
    "FORECAST_TASK",
    "ForecastConfig",
    "ForecastModel",
    "ForecastResult",
    "Panel",
    "Recipe",
    "build_panel",
    "is_forecasting",
    "parse_forecast_config",
    "train_forecaster",
]
