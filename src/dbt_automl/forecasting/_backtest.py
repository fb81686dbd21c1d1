"""Rolling-origin backtests, forecast errors and the choice among candidates.

Every candidate forecasts the same windows: ``horizon`` periods after each cutoff, fitted on
what precedes the cutoff only. Errors are scaled per series (MASE's in-sample seasonal naive
error before the first cutoff), so series of any size weigh the same.

Choosing among candidates on the windows that then measure the choice would flatter it.
Each strategy (the best single candidate, the mean of the best two or three, the best
candidate per series) is scored leave-one-window-out: chosen on the other windows, measured
on the held one. The chosen strategy's held-out forecasts are the backtest the model reports,
and the residuals its intervals are calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dbt_automl.forecasting._panel import DS, ID, Y

CUTOFF, STEP = "cutoff", "step"


@dataclass
class Strategy:
    """How forecasts are combined: ``members`` per series (their mean is the forecast)."""

    name: str
    members: dict[str, list[str]]
    default: list[str] = field(default_factory=list)  # for series without a backtest

    def of(self, uid: str) -> list[str]:
        """The candidates whose mean forecasts ``uid``."""
        return self.members.get(uid, self.default)


def scales(history: pd.DataFrame, season: int) -> pd.Series:
    """MASE's scale per series: the mean absolute seasonal difference of its history
    (lag 1 when shorter than two seasons), else its mean absolute value, else 1."""

    def one(y: pd.Series) -> float:
        values = y.to_numpy(dtype=float)
        m = season if len(values) > 2 * season else 1
        diffs = np.abs(values[m:] - values[:-m]) if len(values) > m else np.array([])
        scale = float(np.mean(diffs)) if diffs.size else 0.0
        if scale <= 0 or not np.isfinite(scale):
            scale = float(np.mean(np.abs(values))) if values.size else 0.0
        return scale if scale > 0 and np.isfinite(scale) else 1.0

    return history.groupby(ID, sort=False)[Y].apply(one)


def with_steps(cv: pd.DataFrame) -> pd.DataFrame:
    """``cv`` with the window number (0: the earliest) and the step within it (1..h)."""
    out = cv.sort_values([ID, CUTOFF, DS]).reset_index(drop=True)
    cutoffs = sorted(out[CUTOFF].unique())
    out["window"] = out[CUTOFF].map({c: i for i, c in enumerate(cutoffs)})
    out[STEP] = out.groupby([ID, CUTOFF]).cumcount() + 1
    return out


def errors(cv: pd.DataFrame, candidates: list[str], scale: pd.Series) -> pd.DataFrame:
    """Scaled mean absolute error per series, window and candidate."""
    parts = {c: (cv[c] - cv[Y]).abs().groupby([cv[ID], cv["window"]]).mean() for c in candidates}
    table = pd.DataFrame(parts)
    return table.div(scale.reindex(table.index.get_level_values(ID)).to_numpy(), axis=0)


def combined(cv: pd.DataFrame, strategy: Strategy) -> np.ndarray:
    """The strategy's forecast for every row of ``cv``."""
    out = np.empty(len(cv))
    for uid, rows in cv.groupby(ID, sort=False).indices.items():
        out[rows] = cv.iloc[rows][strategy.of(str(uid))].mean(axis=1).to_numpy()
    return out


def choose(err: pd.DataFrame, name: str) -> Strategy:
    """Strategy ``name`` fitted on the windows in ``err``: ``single``, ``mean2``, ``mean3``
    or ``per_series``."""
    ranked = err.mean().sort_values(kind="stable").index.tolist()
    if name == "per_series":
        by_series = err.groupby(level=ID).mean()
        picks = by_series.idxmin(axis=1)
        return Strategy(name, {str(u): [str(c)] for u, c in picks.items()}, [ranked[0]])
    k = {"single": 1, "mean2": 2, "mean3": 3}[name]
    members = ranked[:k]
    return Strategy(name, {}, members)


def strategies_for(n_candidates: int) -> list[str]:
    """The strategies worth comparing with ``n_candidates`` candidates."""
    names = ["single"]
    names += [f"mean{k}" for k in (2, 3) if n_candidates >= k]
    return names + (["per_series"] if n_candidates >= 2 else [])


@dataclass
class Choice:
    """The chosen strategy, every strategy's held-out score and the held-out forecasts."""

    strategy: Strategy
    scores: dict[str, float]
    held_out: np.ndarray  # the chosen strategy's forecast of each cv row, chosen without it
    honest: bool  # False with one window: chosen and measured on the same window


def select(cv: pd.DataFrame, err: pd.DataFrame, candidates: list[str], scale: pd.Series) -> Choice:
    """Score every strategy leave-one-window-out; keep the best, refitted on all windows."""
    honest = err.index.get_level_values("window").nunique() > 1
    held = {name: held_out(cv, err, name) for name in strategies_for(len(candidates))}
    scores = {name: float(_mase(cv, forecast, scale).mean()) for name, forecast in held.items()}
    best = min(scores, key=lambda n: (scores[n], list(scores).index(n)))
    return Choice(choose(err, best), scores, held[best], honest)


def held_out(cv: pd.DataFrame, err: pd.DataFrame, name: str) -> np.ndarray:
    """Strategy ``name``'s forecast of every row of ``cv``, each window's fitted on the
    other windows' errors ``err`` (on its own when there is only one window)."""
    windows = sorted(err.index.get_level_values("window").unique())
    forecast = np.empty(len(cv))
    for w in windows:
        train = err[err.index.get_level_values("window") != w] if len(windows) > 1 else err
        rows = np.flatnonzero(cv["window"].to_numpy() == w)
        forecast[rows] = combined(cv.iloc[rows], choose(train, name))
    return forecast


def _mase(cv: pd.DataFrame, forecast: np.ndarray, scale: pd.Series) -> pd.Series:
    """Per-series MASE of a forecast (each window's scaled error, averaged)."""
    abs_err = pd.Series(np.abs(forecast - cv[Y].to_numpy()), index=cv.index)
    mae = abs_err.groupby([cv[ID], cv["window"]]).mean()
    per_window = mae / scale.reindex(mae.index.get_level_values(ID)).to_numpy()
    return per_window.groupby(level=ID).mean()


def metrics(cv: pd.DataFrame, forecast: np.ndarray, scale: pd.Series) -> pd.DataFrame:
    """MASE, sMAPE and RMSE per series of a backtest forecast."""
    y = cv[Y].to_numpy()
    frame = pd.DataFrame(
        {
            ID: cv[ID].to_numpy(),
            "abs": np.abs(forecast - y),
            "sq": (forecast - y) ** 2,
            "smape": _smape(y, forecast),
        }
    )
    by = frame.groupby(ID, sort=False)
    out = pd.DataFrame(
        {
            "mase": by["abs"].mean() / scale.reindex(by["abs"].mean().index),
            "smape": by["smape"].mean(),
            "rmse": np.sqrt(by["sq"].mean()),
        }
    )
    return out


def overall(per_series: pd.DataFrame) -> dict[str, float]:
    """MASE, sMAPE and RMSE over series: the means of :func:`metrics`' rows (MASE over the
    series where it is finite)."""
    finite = per_series[np.isfinite(per_series["mase"])]
    return {
        "mase": float(finite["mase"].mean()),
        "smape": float(per_series["smape"].mean()),
        "rmse": float(per_series["rmse"].mean()),
    }


def _smape(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    denominator = np.abs(y) + np.abs(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denominator > 0, 2 * np.abs(f - y) / denominator, 0.0)
    return np.asarray(out, dtype=float)


def conformal_widths(
    scores: pd.DataFrame, levels: tuple[int, ...], horizon: int
) -> dict[int, np.ndarray]:
    """Half-widths per level and step, in units of each series' scale.

    ``scores`` has columns ``step`` and ``score`` (|error| / scale). Each step's quantile
    pools the steps within two of it (a few windows give few scores per step), at the
    finite-sample conformal level; widths never shrink with the step.
    """
    widths: dict[int, np.ndarray] = {}
    by_step = {k: g["score"].to_numpy() for k, g in scores.groupby(STEP)}
    for level in levels:
        out = np.zeros(horizon)
        for k in range(1, horizon + 1):
            pooled = np.concatenate([by_step.get(j, np.array([])) for j in range(k - 2, k + 3)])
            out[k - 1] = _conformal_quantile(pooled, level / 100)
        widths[level] = np.maximum.accumulate(out)
    return widths


def _conformal_quantile(values: np.ndarray, level: float) -> float:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0
    rank = min(1.0, np.ceil((values.size + 1) * level) / values.size)
    return float(np.quantile(values, rank, method="higher"))


def coverage(
    cv: pd.DataFrame,
    forecast: np.ndarray,
    scale: pd.Series,
    levels: tuple[int, ...],
    horizon: int,
) -> tuple[dict[int, float], dict[int, pd.Series]]:
    """Backtest coverage per level, overall and per series: each window's intervals
    calibrated on the other windows (on itself when there is only one)."""
    frame = cv[[ID, "window", STEP, Y]].copy()
    frame["forecast"] = forecast
    frame["scale"] = scale.reindex(frame[ID]).to_numpy()
    frame["score"] = (frame[Y] - frame["forecast"]).abs() / frame["scale"]
    windows = sorted(frame["window"].unique())
    hits = {level: np.zeros(len(frame), dtype=bool) for level in levels}
    for w in windows:
        rows = frame["window"].to_numpy() == w
        calibration = frame[~rows] if len(windows) > 1 else frame
        widths = conformal_widths(calibration, levels, horizon)
        held = frame[rows]
        for level in levels:
            half = widths[level][held[STEP].to_numpy() - 1] * held["scale"].to_numpy()
            hits[level][rows] = np.abs(held[Y] - held["forecast"]).to_numpy() <= half
    overall = {level: float(hits[level].mean()) for level in levels}
    per_series = {
        level: pd.Series(hits[level], index=frame.index).groupby(frame[ID]).mean()
        for level in levels
    }
    return overall, per_series


def leaderboard(err: pd.DataFrame, seconds: dict[str, float]) -> list[dict[str, Any]]:
    """One row per candidate: its mean backtest MASE and its fitting time."""
    means = err.mean().sort_values(kind="stable")
    return [
        {"candidate": c, "backtest_mase": float(m), "seconds": round(seconds.get(c, 0.0), 2)}
        for c, m in means.items()
    ]
