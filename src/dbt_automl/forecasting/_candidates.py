"""Forecasting candidates: the statistical family (statsforecast) and a global LightGBM
(mlforecast), each backtested on the same rolling origins and refitted on the whole history.

Statistical candidates are fitted per series, in one statsforecast call over every series;
the global model is one LightGBM over all series on lags, rolling means, calendar features
and the covariates (series scaled one by one, so large and small series share a model).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dbt_automl.forecasting._panel import DS, ID, Panel, Y

# Lags and calendar features per base frequency: a week of days, a year of months...
_LAGS = {
    "D": [1, 2, 3, 4, 5, 6, 7, 14, 21, 28],
    "B": [1, 2, 3, 4, 5, 10, 20],
    "W": [1, 2, 3, 4, 8, 13, 26, 52],
    "M": [1, 2, 3, 6, 12],
    "Q": [1, 2, 3, 4, 8],
    "Y": [1, 2, 3],
    "h": [1, 2, 3, 6, 12, 24, 48, 168],
    "min": [1, 2, 5, 10, 30, 60],
}
_DATE_FEATURES = {
    "D": ["dayofweek", "month", "dayofyear"],
    "B": ["dayofweek", "month", "dayofyear"],
    "W": ["month", "week"],
    "M": ["month"],
    "Q": ["quarter"],
    "Y": [],
    "h": ["hour", "dayofweek"],
    "min": ["minute", "hour"],
}


def base_frequency(freq: str) -> str:
    """``D``, ``W``, ``M``, ``Q``, ``Y``, ``h``, ``min`` or ``B`` for a pandas alias."""
    name = pd.tseries.frequencies.to_offset(freq).name.split("-")[0]
    return name if name in ("min", "h") else name.rstrip("SE")


@dataclass(frozen=True)
class StatsCandidate:
    """A statistical model, fitted per series by statsforecast."""

    name: str
    build: Callable[[Panel], Any]
    # Whether it needs two full seasons of history to be worth fitting.
    seasonal: bool = False

    def applies(self, panel: Panel) -> bool:
        """Whether this candidate can be fitted on the panel's frequency and lengths."""
        return self.build(panel) is not None


def _seasonal_naive(panel: Panel) -> Any:
    from statsforecast.models import Naive, SeasonalNaive

    m = panel.season_length
    return (
        SeasonalNaive(season_length=m, alias="seasonal_naive")
        if m > 1
        else Naive(alias="seasonal_naive")
    )


def _theta(panel: Panel) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=panel.season_length, alias="theta")


def _ets(panel: Panel) -> Any:
    from statsforecast.models import AutoETS

    # ETS's seasonal states grow with the period; above 24 it is fitted without a season.
    m = panel.season_length if panel.season_length <= 24 else 1
    return AutoETS(season_length=m, alias="ets")


def _mstl(panel: Panel) -> Any:
    from statsforecast.models import MSTL, AutoETS

    fitted = panel.ids(excluding=[*panel.short, *panel.constant])
    shortest = int(panel.frame[panel.frame[ID].isin(fitted)].groupby(ID).size().min())
    seasons = [s for s in panel.season_lengths if 1 < s and 2 * s < shortest]
    if len(seasons) < 2:  # one season: ETS and Theta already model it
        return None
    return MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"), alias="mstl")


def _arima(panel: Panel) -> Any:
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=panel.season_length, alias="arima")


STATS: dict[str, StatsCandidate] = {
    c.name: c
    for c in (
        StatsCandidate("seasonal_naive", _seasonal_naive),
        StatsCandidate("theta", _theta),
        StatsCandidate("ets", _ets),
        StatsCandidate("mstl", _mstl, seasonal=True),
        StatsCandidate("arima", _arima),
    )
}
GLOBAL = "lightgbm"


def stats_forecaster(models: list[Any], freq: str, n_jobs: int) -> Any:
    """A statsforecast forecaster of ``models``."""
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq=freq, n_jobs=n_jobs)


def global_forecaster(panel: Panel, seed: int, n_jobs: int) -> Any:
    """The global LightGBM forecaster (mlforecast) for the panel's frequency."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.target_transforms import LocalStandardScaler

    base = base_frequency(panel.freq)
    shortest = int(panel.frame.groupby(ID).size().median())
    lags = [lag for lag in _LAGS.get(base, [1, 2, 3]) if lag < shortest // 2] or [1]
    m = panel.season_length
    windows: dict[int, list[Any]] = {1: [RollingMean(window_size=min(m, 7) if m > 1 else 3)]}
    if m > 1 and m in lags:
        windows[m] = [RollingMean(window_size=4)]
    model = LGBMRegressor(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=n_jobs,
        verbose=-1,
    )
    return MLForecast(
        models={GLOBAL: model},
        freq=panel.freq,
        lags=lags,
        lag_transforms=windows,
        date_features=_DATE_FEATURES.get(base, []),
        target_transforms=[LocalStandardScaler()],
        num_threads=1,
    )


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the libraries' convergence and future warnings (they go to dbt's log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


__all__ = ["DS", "GLOBAL", "ID", "STATS", "Y"]
