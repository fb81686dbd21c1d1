"""Another version's recipe measured on this run's backtest: how a champion is judged on
the challenger's windows.

A champion's model was fitted up to its own last period, which often lies inside the
challenger's backtest windows, so the model itself cannot be scored there. Its recipe can:
the candidates it backtested, the strategy that combined them and the covariates its global
model read. Each candidate is backtested at the challenger's cutoffs (forecasts the
challenger already made are reused; the global model is refitted when it read other
covariates) and the strategy is fitted leave-one-window-out, as the challenger's was: the
members a champion chose on its own windows would be judged on windows that chose them.
Both MASEs are then over the same rows, with the same scales.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.errors import TrainingDataError
from dbt_automl.forecasting import _backtest as bt
from dbt_automl.forecasting._candidates import GLOBAL, STATS, global_cv, stats_cv
from dbt_automl.forecasting._config import ForecastConfig
from dbt_automl.forecasting._model import past_lags
from dbt_automl.forecasting._panel import DS, ID, Panel, Y, build_panel

_KEYS = [ID, DS, bt.CUTOFF]


@dataclass(frozen=True)
class Recipe:
    """How a version forecasts, short of its fitted models: the candidates it backtested,
    the strategy combining them (``single``, ``mean2``, ``mean3``, ``per_series``) and the
    covariates its global model reads."""

    strategy: str
    candidates: tuple[str, ...]
    known_covariates: tuple[str, ...] = ()
    past_covariates: tuple[str, ...] = ()


@dataclass
class Backtest:
    """A run's backtest, kept to measure other recipes on the same windows."""

    table: pa.Table  # the training table, to rebuild the panel with other covariates
    panel: Panel
    cfg: ForecastConfig
    history: pd.DataFrame  # the backtested series, past covariates lagged
    windows: int
    cv: pd.DataFrame  # one column per candidate backtested, with window and step
    scale: pd.Series


def measure_recipe(backtest: Backtest, log: Logger, recipe: Recipe) -> dict[str, float]:
    """MASE, sMAPE and RMSE of ``recipe`` on ``backtest``'s windows and series, computed
    as the run's own backtest figures are.

    Raises:
        TrainingDataError: a candidate is unknown or does not apply to these series, the
            strategy needs more candidates than the recipe has, or a covariate of the
            global model is not in the training table.
    """
    candidates = _ordered(recipe, backtest.cfg)
    frame = backtest.cv[[*_KEYS, "window", bt.STEP, Y]].copy()
    for name in candidates:
        frame[name] = _forecasts(backtest, recipe, name, log)
    err = bt.errors(frame, candidates, backtest.scale)
    forecast = bt.held_out(frame, err, recipe.strategy)
    return bt.overall(bt.metrics(frame, forecast, backtest.scale))


def _ordered(recipe: Recipe, cfg: ForecastConfig) -> list[str]:
    """The recipe's candidates in the run's order (ties between candidates go to the
    earlier one, so the same recipe scores the same), after checking it can run."""
    unknown = [c for c in recipe.candidates if c not in STATS and c != GLOBAL]
    if unknown or not recipe.candidates:
        raise _refused(cfg, f"unknown candidate(s) {unknown or 'none'}")
    if recipe.strategy not in bt.strategies_for(len(recipe.candidates)):
        raise _refused(
            cfg, f"strategy {recipe.strategy!r} cannot combine {list(recipe.candidates)}"
        )
    run = ["seasonal_naive", *cfg.candidates, *STATS, GLOBAL]
    return sorted(dict.fromkeys(recipe.candidates), key=run.index)


def _forecasts(backtest: Backtest, recipe: Recipe, name: str, log: Logger) -> np.ndarray:
    """Candidate ``name``'s forecast of every backtest row: the run's own when it made
    them with the same features, else backtested now at the same cutoffs."""
    if name in backtest.cv.columns and (name != GLOBAL or _same_covariates(recipe, backtest)):
        return backtest.cv[name].to_numpy(dtype=float)
    started = time.perf_counter()
    found = _backtested(backtest, recipe, name)
    if isinstance(found, str):
        raise _refused(backtest.cfg, f"candidate {name} cannot be backtested here: {found}")
    aligned = backtest.cv[_KEYS].merge(
        found[[*_KEYS, name]], on=_KEYS, how="left", indicator=True, validate="one_to_one"
    )
    if (aligned["_merge"] != "both").any():
        raise _refused(backtest.cfg, f"candidate {name}'s backtest misses some windows")
    log.info(
        f"{backtest.cfg.model_name}: candidate {name} backtested at the same cutoffs for "
        f"another version's recipe ({time.perf_counter() - started:.1f}s)"
    )
    return aligned[name].to_numpy(dtype=float)


def _same_covariates(recipe: Recipe, backtest: Backtest) -> bool:
    cfg = backtest.cfg
    return (recipe.known_covariates, recipe.past_covariates) == (
        cfg.known_covariates,
        cfg.past_covariates,
    )


def _backtested(backtest: Backtest, recipe: Recipe, name: str) -> pd.DataFrame | str:
    """``name`` backtested at the run's windows without a budget: the champion's recipe
    is judged whole, or not at all."""
    cfg, windows = backtest.cfg, backtest.windows
    if name != GLOBAL:
        return stats_cv(backtest.panel, backtest.history, cfg, name, windows)
    if _same_covariates(recipe, backtest):
        return global_cv(backtest.panel, backtest.history, cfg, windows)
    own = replace(
        cfg, known_covariates=recipe.known_covariates, past_covariates=recipe.past_covariates
    )
    # Raises TrainingDataError naming the covariate when the table no longer has it.
    panel = build_panel(backtest.table, own, _Silent())
    history = past_lags(panel.frame, own)
    history = history[history[ID].isin(backtest.history[ID].unique())]
    return global_cv(panel, history, own, windows)


def _refused(cfg: ForecastConfig, message: str) -> TrainingDataError:
    # No fix to suggest: whoever measures a recipe falls back to the recorded backtests.
    return TrainingDataError(message, model=cfg.model_name)


class _Silent:
    """The log of a panel rebuilt with other covariates: the run has said all it says."""

    def info(self, msg: str) -> None:
        """Drop ``msg``."""

    def warning(self, msg: str) -> None:
        """Drop ``msg``."""
