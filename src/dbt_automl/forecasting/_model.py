"""The trained forecaster a registry version holds, and how it forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dbt_automl._log import Logger
from dbt_automl.forecasting._backtest import Strategy
from dbt_automl.forecasting._candidates import GLOBAL, quiet
from dbt_automl.forecasting._config import ForecastConfig
from dbt_automl.forecasting._panel import DS, ID, Y, series_ids

FORECAST = "forecast"


def lag_name(column: str, horizon: int) -> str:
    """The feature a past covariate becomes: its value ``horizon`` periods earlier."""
    return f"{column}__lag{horizon}"


def past_lags(frame: pd.DataFrame, cfg: ForecastConfig) -> pd.DataFrame:
    """Past covariates replaced by their values ``horizon`` periods back, which are known
    for every period forecast (the first ``horizon`` periods take the earliest value)."""
    if not cfg.past_covariates:
        return frame
    out = frame.copy()
    for column in cfg.past_covariates:
        lagged = out.groupby(ID, sort=False)[column].shift(cfg.horizon)
        out[lag_name(column, cfg.horizon)] = lagged.fillna(
            out.groupby(ID, sort=False)[column].transform("first")
        )
    return out.drop(columns=list(cfg.past_covariates))


@dataclass
class ForecastModel:
    """Candidates refitted on the whole history, how they combine per series, and the
    calibrated interval half-widths per level and step (in units of each series' scale)."""

    cfg: ForecastConfig
    freq: str
    last: pd.Timestamp
    keys: dict[str, dict[str, Any]]
    strategy: Strategy
    stats: Any
    ml: Any
    widths: dict[int, np.ndarray]
    scale: dict[str, float]
    fallback_values: dict[str, float]
    non_negative: set[str]
    past_tail: pd.DataFrame | None

    def periods(self) -> pd.DatetimeIndex:
        """The forecast periods: ``horizon`` periods after the history's last."""
        return pd.date_range(self.last, periods=self.cfg.horizon + 1, freq=self.freq)[1:]

    def future_frame(self, future: pd.DataFrame | None, log: Logger) -> pd.DataFrame | None:
        """The global model's future covariates: one row per series and forecast period.

        ``future`` has the series columns, the time column and the known covariates. A
        missing (series, period) value is carried forward from the last known one, saying
        so (as is every value of a covariate ``future`` lacks).
        """
        cfg = self.cfg
        if not cfg.known_covariates and not cfg.past_covariates:
            return None
        modelled = [uid for uid in self.keys if uid not in self.fallback_values]
        grid = pd.MultiIndex.from_product([modelled, self.periods()], names=[ID, DS])
        out = pd.DataFrame(index=grid).reset_index()
        if cfg.known_covariates:
            out = out.merge(self._known(future, log), on=[ID, DS], how="left")
            missing = out[list(cfg.known_covariates)].isna()
            if missing.any().any():
                worst = missing.sum().idxmax()
                log.warning(
                    f"{cfg.model_name}: {int(missing.sum().sum())} future value(s) of known "
                    f"covariates are missing (most in {worst!r}: "
                    f"{int(missing[worst].sum())} of {len(out)} series-periods); each is "
                    "carried forward from the last known value. Fix: give every series and "
                    f"forecast period a row in the future covariates relation"
                )
                known = list(cfg.known_covariates)
                out[known] = out.groupby(ID)[known].ffill().fillna(0.0)
        if self.past_tail is not None:
            tail = self.past_tail.copy()
            tail[DS] = tail.groupby(ID)[DS].transform(
                lambda s: pd.date_range(self.last, periods=len(s) + 1, freq=self.freq)[1:]
            )
            renamed = {c: f"{c}__lag{cfg.horizon}" for c in cfg.past_covariates}
            out = out.merge(tail.rename(columns=renamed), on=[ID, DS], how="left")
        return out

    def _known(self, future: pd.DataFrame | None, log: Logger) -> pd.DataFrame:
        cfg = self.cfg
        columns = [ID, DS, *cfg.known_covariates]
        if future is None or future.empty:
            log.warning(
                f"{cfg.model_name}: no future covariates given; known covariates "
                f"{list(cfg.known_covariates)} carried forward from their last values"
            )
            return pd.DataFrame(columns=columns)
        frame = future.copy()
        frame[ID] = series_ids([frame[c] for c in cfg.series_columns], len(frame))
        frame[DS] = pd.to_datetime(frame[cfg.time_column])
        for column in cfg.known_covariates:
            if column not in frame.columns:
                frame[column] = np.nan
        return frame[columns].drop_duplicates([ID, DS], keep="last")

    def predict(self, future: pd.DataFrame | None, log: Logger) -> pd.DataFrame:
        """One row per series and forecast period: the point forecast, the interval bounds
        per level and the candidate(s) that made it."""
        h = self.cfg.horizon
        columns: dict[str, pd.DataFrame] = {}
        with quiet():
            if self.stats is not None:
                columns["stats"] = self.stats.predict(h=h)
            if self.ml is not None:
                columns["ml"] = self.ml.predict(h=h, X_df=self.future_frame(future, log))
        parts = [self._series(uid, columns) for uid in self.keys]
        return pd.concat(parts, ignore_index=True)

    def _series(self, uid: str, columns: dict[str, pd.DataFrame]) -> pd.DataFrame:
        periods = self.periods()
        if uid in self.fallback_values:
            point = np.full(len(periods), self.fallback_values[uid])
            made_by = "naive (fallback)"
        else:
            members = self.strategy.of(uid)
            values = [self._member(uid, m, columns) for m in members]
            point = np.mean(values, axis=0)
            made_by = "+".join(members)
        out = pd.DataFrame({ID: uid, DS: periods, FORECAST: point, "candidate": made_by})
        scale = self.scale.get(uid, 1.0)
        for level, width in self.widths.items():
            half = width[: len(periods)] * scale
            out[f"lo_{level}"] = point - half
            out[f"hi_{level}"] = point + half
        if uid in self.non_negative:  # the history was never negative: neither is this
            bounds = [FORECAST, *[c for c in out.columns if c.startswith(("lo_", "hi_"))]]
            out[bounds] = out[bounds].clip(lower=0.0)
        return out

    def _member(self, uid: str, member: str, columns: dict[str, pd.DataFrame]) -> np.ndarray:
        frame = columns["ml" if member == GLOBAL else "stats"]
        rows = frame[frame[ID] == uid].sort_values(DS)
        return rows[member].to_numpy(dtype=float)


__all__ = ["FORECAST", "ForecastModel", "Y", "lag_name", "past_lags"]
