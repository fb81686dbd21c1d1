"""Forecasting candidates: the statistical family (statsforecast) and a global LightGBM
(mlforecast), each backtested on the same rolling origins and refitted on the whole history.

Statistical candidates are fitted per series, in one statsforecast call over every series;
the global model is one LightGBM over all series on lags, rolling means, calendar features
and the covariates (series scaled one by one, so large and small series share a model).
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dbt_automl.forecasting._config import ForecastConfig
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
# A statistical candidate's cost is estimated on this many series' last points before it runs.
PILOT_SERIES = 3
PILOT_POINTS = 200


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


def stats_cv(
    panel: Panel,
    history: pd.DataFrame,
    cfg: ForecastConfig,
    name: str,
    windows: int,
    left: float = math.inf,
) -> pd.DataFrame | str:
    """Statistical candidate ``name``'s rolling-origin forecasts of ``history`` (``windows``
    windows of ``cfg.horizon`` periods), or why it was not run: it does not apply, or its
    estimated cost exceeds ``left`` seconds (not estimated when the budget is unbounded)."""
    model = STATS[name].build(panel)
    if model is None:
        return "does not apply to this frequency or these lengths"
    data = history[[ID, DS, Y]]
    if name != "seasonal_naive" and left <= 0:
        return "no budget left"
    if name != "seasonal_naive" and math.isfinite(left):
        estimate = _pilot_seconds(model, data, panel, cfg) * history[ID].nunique() * 2
        if estimate > left:
            return f"estimated {estimate:.0f}s, {max(left, 0):.0f}s of budget left"
    with quiet():
        # refit=False: parameters fitted at the first cutoff, states updated to each later
        # cutoff; one fit per series, never using a value past the cutoff.
        out = stats_forecaster([model], panel.freq, cfg.n_jobs).cross_validation(
            df=data, h=cfg.horizon, n_windows=windows, step_size=cfg.horizon, refit=False
        )
    return out.reset_index(drop=True) if ID not in out.columns else out


def _pilot_seconds(model: Any, data: pd.DataFrame, panel: Panel, cfg: ForecastConfig) -> float:
    """Seconds one series of the panel's mean length costs to fit: timed on the last
    PILOT_POINTS points of a few series, scaled by length (a pilot on whole long series
    could itself eat the budget: AutoARIMA took 16 s on one 900-day series here)."""
    ids = data[ID].drop_duplicates().iloc[:PILOT_SERIES]
    pilot = data[data[ID].isin(ids)].groupby(ID, sort=False).tail(PILOT_POINTS)
    started = time.perf_counter()
    with quiet():
        stats_forecaster([model], panel.freq, 1).forecast(df=pilot, h=cfg.horizon)
    per_series = (time.perf_counter() - started) / max(len(ids), 1)
    mean_length = len(data) / max(data[ID].nunique(), 1)
    return per_series * max(1.0, mean_length / PILOT_POINTS)


def global_cv(
    panel: Panel,
    history: pd.DataFrame,
    cfg: ForecastConfig,
    windows: int,
    left: float = math.inf,
) -> pd.DataFrame | str:
    """The global model's rolling-origin forecasts of ``history`` (its covariate columns
    included), or why it was not run: less than a fifth of the budget is ``left``."""
    if left < 0.2 * cfg.time_budget_s:
        return f"{max(left, 0):.0f}s of budget left"
    forecaster = global_forecaster(panel, cfg.seed, cfg.n_jobs)
    with quiet():
        out = forecaster.cross_validation(
            df=history,
            n_windows=windows,
            h=cfg.horizon,
            step_size=cfg.horizon,
            static_features=[],
        )
    return out


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the libraries' convergence and future warnings (they go to dbt's log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


__all__ = ["DS", "GLOBAL", "ID", "STATS", "Y"]
