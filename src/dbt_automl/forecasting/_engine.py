"""The forecasting engine: panel -> backtested candidates -> chosen combination ->
calibrated intervals -> the model refitted on the whole history.

Runs under ``time_budget_s`` like the supervised search: candidates are tried cheapest
first, each one's cost estimated on a few series before it runs on all of them, and one
that would not fit in what is left of the budget is skipped, saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.errors import TrainingDataError
from dbt_automl.forecasting import _backtest as bt
from dbt_automl.forecasting._candidates import (
    GLOBAL,
    STATS,
    global_cv,
    global_forecaster,
    quiet,
    stats_cv,
    stats_forecaster,
)
from dbt_automl.forecasting._config import ForecastConfig
from dbt_automl.forecasting._model import ForecastModel, past_lags
from dbt_automl.forecasting._panel import DS, ID, Panel, Y, build_panel
from dbt_automl.forecasting._recipe import Backtest, Recipe, measure_recipe

# Share of the budget kept for refitting the chosen candidates on the whole history.
FINAL_FIT_SHARE = 0.25


@dataclass
class ForecastResult:
    """A trained forecaster and what its backtest says about it."""

    model: ForecastModel
    metrics: dict[str, float]
    per_series: pd.DataFrame
    leaderboard: list[dict[str, Any]]
    decisions: dict[str, Any] = field(default_factory=dict)
    n_rows: int = 0
    duration_s: float = 0.0
    # A recipe -> its backtest metrics on this run's windows and series: how a champion's
    # recipe is judged on the challenger's backtest.
    evaluate_recipe: Callable[[Recipe], dict[str, float]] | None = None


def train_forecaster(table: pa.Table, cfg: ForecastConfig, log: Logger) -> ForecastResult:
    """Backtest the candidates on ``table``, choose, calibrate intervals, refit.

    Raises:
        TrainingDataError: the history cannot be forecast (see :func:`build_panel`).
    """
    started = time.perf_counter()
    panel = build_panel(table, cfg, log)
    _import_libraries()
    # The budget is the search's: reading the panel and importing the libraries (~1.5 s)
    # come before it, as the supervised engine's preparation does.
    deadline = time.perf_counter() + cfg.time_budget_s
    frame = past_lags(panel.frame, cfg)
    fallback = set(panel.short) | set(panel.constant)
    forecast_ids = panel.ids(excluding=sorted(fallback))
    windows, eligible = _windows(panel, cfg, forecast_ids)
    log.info(
        f"{cfg.model_name}: forecasting {len(panel.ids())} series of {panel.freq} "
        f"{cfg.horizon} periods ahead; backtest {windows} window(s) on {len(eligible)} series, "
        f"budget {cfg.time_budget_s:.0f}s"
    )
    history = frame[frame[ID].isin(eligible)]
    cv, seconds = _backtest(panel, history, cfg, windows, deadline, log)
    candidates = [c for c in seconds if c in cv.columns]
    cutoff0 = cv[bt.CUTOFF].min()
    scale = bt.scales(history[history[DS] <= cutoff0], panel.season_length)
    err = bt.errors(cv, candidates, scale)
    choice = bt.select(cv, err, candidates, scale)
    per_series = bt.metrics(cv, choice.held_out, scale)
    naive = bt.metrics(cv, cv["seasonal_naive"].to_numpy(), scale)
    overall_cov, series_cov = bt.coverage(cv, choice.held_out, scale, cfg.levels, cfg.horizon)
    for level in cfg.levels:
        per_series[f"coverage_{level}"] = series_cov[level]
    per_series["seasonal_naive_mase"] = naive["mase"]
    scores = cv[[ID, bt.STEP]].assign(
        score=np.abs(cv[Y].to_numpy() - choice.held_out) / scale.reindex(cv[ID]).to_numpy()
    )
    widths = bt.conformal_widths(scores, cfg.levels, cfg.horizon)
    used = sorted({c for uid in forecast_ids for c in choice.strategy.of(uid)})
    model = _final_fit(panel, frame, cfg, used, choice.strategy, widths, log)
    metrics = _overall(per_series, naive, overall_cov, cfg)
    log.info(
        f"{cfg.model_name}: chose {choice.strategy.name} "
        f"({_describe(choice.strategy)}); backtest MASE {metrics['mase']:.3f} against "
        f"seasonal naive {metrics['seasonal_naive_mase']:.3f} (relative "
        f"{metrics['relative_mase']:.3f}), "
        + ", ".join(f"{lv}% coverage {overall_cov[lv]:.0%}" for lv in cfg.levels)
    )
    decisions = {
        **panel.notes,
        "backtest": {"windows": windows, "series": len(eligible), "honest": choice.honest},
        "strategies": choice.scores,
        "strategy": {"name": choice.strategy.name, "default": choice.strategy.default},
        "fallbacks": {
            "too_short_naive": panel.short,
            "constant": panel.constant,
            "ended": panel.ended,
            "not_backtested": sorted(set(forecast_ids) - set(eligible)),
        },
        "non_negative_series": len(panel.non_negative),
        "skipped": {c: s for c, s in seconds.items() if c not in cv.columns},
    }
    return ForecastResult(
        model=model,
        metrics=metrics,
        per_series=per_series,
        leaderboard=bt.leaderboard(
            err, {c: s for c, s in seconds.items() if isinstance(s, float)}
        ),
        decisions=decisions,
        n_rows=len(panel.frame),
        duration_s=time.perf_counter() - started,
        evaluate_recipe=partial(
            measure_recipe, Backtest(table, panel, cfg, history, windows, cv, scale), log
        ),
    )


def _import_libraries() -> None:
    import mlforecast  # noqa: F401
    import statsforecast  # noqa: F401


def _timed(seconds: Any) -> bool:
    return isinstance(seconds, float)


def _windows(panel: Panel, cfg: ForecastConfig, ids: list[str]) -> tuple[int, list[str]]:
    """Backtest windows that fit the history, and the series long enough for all of them."""
    lengths = panel.frame[panel.frame[ID].isin(ids)].groupby(ID).size()
    if lengths.empty:
        raise TrainingDataError(
            "no series can be backtested (every series is too short or constant)",
            "add history, or shorten meta.automl.horizon",
            model=cfg.model_name,
            key="horizon",
        )
    min_train = max(2 * panel.season_length, cfg.horizon, 8)
    windows = min(cfg.backtest_windows, int((lengths.max() - min_train) // cfg.horizon))
    if windows < 1:
        raise TrainingDataError(
            f"the longest history ({lengths.max()} periods) is too short for one backtest "
            f"window of {cfg.horizon} after {min_train} periods of training",
            "shorten meta.automl.horizon or add history",
            model=cfg.model_name,
            key="horizon",
        )
    needed = min_train + windows * cfg.horizon
    return windows, sorted(lengths[lengths >= needed].index.astype(str))


def _backtest(
    panel: Panel,
    history: pd.DataFrame,
    cfg: ForecastConfig,
    windows: int,
    deadline: float,
    log: Logger,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every candidate's rolling-origin forecasts in one frame (one column each), and each
    candidate's seconds (or why it was skipped)."""
    reserve = FINAL_FIT_SHARE * cfg.time_budget_s
    cv: pd.DataFrame | None = None
    seconds: dict[str, Any] = {}
    order = ["seasonal_naive", *[c for c in cfg.candidates if c != "seasonal_naive"]]
    for name in order:
        started = time.perf_counter()
        left = deadline - started - reserve
        if name == GLOBAL:
            found = global_cv(panel, history, cfg, windows, left)
        else:
            found = stats_cv(panel, history, cfg, name, windows, left)
        if isinstance(found, str):
            seconds[name] = found
            log.info(f"{cfg.model_name} candidate {name:<15} skipped: {found}")
            continue
        took = time.perf_counter() - started
        seconds[name] = took
        if name == "seasonal_naive":
            # The baseline always runs and chooses nothing, and its first run in a process
            # JIT-compiles statsforecast's code (4.4 s of a 6 s budget on a cold numba
            # cache, after which every candidate was skipped): the search's clock starts
            # after it, as it starts after the panel is read and the libraries imported.
            deadline += took
        cv = (
            found
            if cv is None
            else cv.merge(found[[ID, DS, bt.CUTOFF, name]], on=[ID, DS, bt.CUTOFF])
        )
        mase = _quick_mase(cv, name, panel.season_length, history)
        log.info(f"{cfg.model_name} candidate {name:<15} backtest MASE {mase:.3f} ({took:.1f}s)")
    assert cv is not None  # seasonal naive always runs
    return bt.with_steps(cv), seconds


def _quick_mase(cv: pd.DataFrame, name: str, season: int, history: pd.DataFrame) -> float:
    first = cv[bt.CUTOFF].min()
    scale = bt.scales(history[history[DS] <= first], season)
    steps = bt.with_steps(cv)
    return float(bt.errors(steps, [name], scale)[name].mean())


def _final_fit(
    panel: Panel,
    frame: pd.DataFrame,
    cfg: ForecastConfig,
    used: list[str],
    strategy: bt.Strategy,
    widths: dict[int, np.ndarray],
    log: Logger,
) -> ForecastModel:
    """The used candidates refitted on every forecast series' whole history."""
    ids = panel.ids(excluding=sorted(set(panel.short) | set(panel.constant)))
    data = frame[frame[ID].isin(ids)]
    stats_models = [STATS[c].build(panel) for c in used if c != GLOBAL]
    sf = None
    if stats_models:
        from statsforecast.models import Naive

        sf = stats_forecaster(stats_models, panel.freq, cfg.n_jobs)
        sf.fallback_model = Naive()  # a series a model cannot fit gets the last value
        with quiet():
            sf.fit(df=data[[ID, DS, Y]])
    mlf = None
    if GLOBAL in used:
        mlf = global_forecaster(panel, cfg.seed, cfg.n_jobs)
        with quiet():
            mlf.fit(data, static_features=[])
    history = panel.frame[panel.frame[ID].isin(panel.ids())]
    scale = bt.scales(history, panel.season_length)
    last = history.groupby(ID)[Y].last()
    return ForecastModel(
        cfg=cfg,
        freq=panel.freq,
        last=panel.last,
        keys={uid: panel.keys[uid] for uid in panel.ids()},
        strategy=strategy,
        stats=sf,
        ml=mlf,
        widths=widths,
        scale=scale.to_dict(),
        fallback_values={uid: float(last[uid]) for uid in [*panel.short, *panel.constant]},
        non_negative=set(panel.non_negative),
        past_tail=_past_tail(panel.frame, cfg),
    )


def _past_tail(frame: pd.DataFrame, cfg: ForecastConfig) -> pd.DataFrame | None:
    """The last ``horizon`` values of each past covariate: the lagged features of the
    forecast periods."""
    if not cfg.past_covariates:
        return None
    return frame.groupby(ID).tail(cfg.horizon)[[ID, DS, *cfg.past_covariates]]


def _overall(
    per_series: pd.DataFrame, naive: pd.DataFrame, cov: dict[int, float], cfg: ForecastConfig
) -> dict[str, float]:
    out = bt.overall(per_series)
    mase, naive_mase = out["mase"], float(naive["mase"].mean())
    out["seasonal_naive_mase"] = naive_mase
    out["relative_mase"] = mase / naive_mase if naive_mase > 0 else float("nan")
    out.update({f"coverage_{level}": cov[level] for level in cfg.levels})
    return out


def _describe(strategy: bt.Strategy) -> str:
    if strategy.members:
        counts = pd.Series([m[0] for m in strategy.members.values()]).value_counts()
        return ", ".join(f"{c} for {n} series" for c, n in counts.items())
    return " + ".join(strategy.default)
