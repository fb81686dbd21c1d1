"""Forecasting benchmark: dbt-automl against statsforecast's models alone and mlforecast's
global LightGBM, on real series sets bundled in installable packages (bench/forecast_data.py).

Each set's last ``horizon`` points of every series are held out. Every method forecasts them
with 80 % intervals from the rest, in its own process with a wall-time limit (``--budget``
for dbt-automl's search; ``--limit`` kills any method, which then ranks last on that set):

- ``dbt-automl``: ``train_forecaster`` with ``time_budget_s = --budget`` and its defaults;
- ``seasonal_naive``, ``ets``, ``arima``, ``theta``: statsforecast's SeasonalNaive,
  AutoETS, AutoARIMA and AutoTheta, alone, their own intervals;
- ``mlforecast``: a global LightGBM on the set's seasonal lags with mlforecast's defaults
  and its conformal intervals.

MASE uses each series' in-sample seasonal naive error (lag 1 under two seasons), as
dbt-automl's backtest does. Prints a table, writes it to docs/benchmarks.md.

    python bench/forecast.py [--sets a,b] [--budget 30] [--limit 300] [--out FILE]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from forecast_data import SeriesSet, load, set_names  # noqa: E402
from sections import markers, write_section  # noqa: E402

START, END = markers("forecast")
METHODS = ("dbt-automl", "seasonal_naive", "ets", "arima", "theta", "mlforecast")
LEVEL = 80


def split(s: SeriesSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows and the held-out last ``horizon`` rows of every series."""
    frame = s.frame.sort_values(["unique_id", "ds"])
    rank = frame.groupby("unique_id").cumcount(ascending=False)
    return frame[rank >= s.horizon].copy(), frame[rank < s.horizon].copy()


def run_method(
    method: str, s: SeriesSet, train: pd.DataFrame, test: pd.DataFrame, budget: float
) -> pd.DataFrame:
    """Point forecast and 80 % bounds for the test rows: columns unique_id, ds, f, lo, hi."""
    warnings.simplefilter("ignore")
    h, m = s.horizon, s.season_length
    future = test.drop(columns=["y"])
    if method == "dbt-automl":
        return _dbt_automl(s, train, future, budget)
    if method == "mlforecast":
        return _mlforecast(s, train, future)
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    model = {
        "seasonal_naive": SeasonalNaive(season_length=m) if m > 1 else Naive(),
        "ets": AutoETS(season_length=m if m <= 24 else 1),
        "arima": AutoARIMA(season_length=m),
        "theta": AutoTheta(season_length=m),
    }[method]
    sf = StatsForecast(models=[model], freq=s.freq, n_jobs=1)
    out = sf.forecast(df=train[["unique_id", "ds", "y"]], h=h, level=[LEVEL])
    name = [
        c
        for c in out.columns
        if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c
    ][0]
    return out.rename(columns={name: "f", f"{name}-lo-{LEVEL}": "lo", f"{name}-hi-{LEVEL}": "hi"})[
        ["unique_id", "ds", "f", "lo", "hi"]
    ]


def _dbt_automl(
    s: SeriesSet, train: pd.DataFrame, future: pd.DataFrame, budget: float
) -> pd.DataFrame:
    import pyarrow as pa

    from dbt_automl.forecasting import parse_forecast_config, train_forecaster

    raw = {
        "task": "forecasting",
        "target": "y",
        "time_column": "ds",
        "series_columns": ["unique_id"],
        "horizon": s.horizon,
        "frequency": s.freq,
        "known_covariates": list(s.known_covariates),
        "levels": [LEVEL],
        "time_budget_s": budget,
    }
    cfg = parse_forecast_config(raw, s.name)
    table = pa.Table.from_pandas(
        train.rename(columns={"unique_id": "unique_id"}), preserve_index=False
    )
    log = logging.getLogger("bench")
    result = train_forecaster(table, cfg, log)
    out = result.model.predict(future, log)
    return out.rename(columns={"forecast": "f", f"lo_{LEVEL}": "lo", f"hi_{LEVEL}": "hi"})[
        ["unique_id", "ds", "f", "lo", "hi"]
    ]


def _mlforecast(s: SeriesSet, train: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.utils import PredictionIntervals

    m = s.season_length
    lags = sorted({1, 2, 3, *([m] if m > 1 else [])})
    fcst = MLForecast(models={"lgbm": LGBMRegressor(verbose=-1, n_jobs=1)}, freq=s.freq, lags=lags)
    fcst.fit(
        train,
        static_features=[],
        prediction_intervals=PredictionIntervals(n_windows=2, h=s.horizon),
    )
    x_df = future if s.known_covariates else None
    out = fcst.predict(h=s.horizon, level=[LEVEL], X_df=x_df)
    return out.rename(columns={"lgbm": "f", f"lgbm-lo-{LEVEL}": "lo", f"lgbm-hi-{LEVEL}": "hi"})[
        ["unique_id", "ds", "f", "lo", "hi"]
    ]


def _child(method: str, name: str, budget: float, queue: Any) -> None:
    s = load(name)
    train, test = split(s)
    started = time.perf_counter()
    try:
        out = run_method(method, s, train, test, budget)
        queue.put(("ok", out, time.perf_counter() - started))
    except Exception as exc:  # a method that fails ranks last, with its error in the table
        queue.put(("error", f"{type(exc).__name__}: {exc}"[:120], time.perf_counter() - started))


def measure(method: str, name: str, budget: float, limit: float) -> tuple[str, Any, float]:
    """Run one method on one set in its own process, killed after ``limit`` seconds."""
    queue: Any = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_child, args=(method, name, budget, queue))
    started = time.perf_counter()
    process.start()
    try:
        return queue.get(timeout=limit)
    except Exception:
        return ("timeout", f"over {limit:.0f}s", time.perf_counter() - started)
    finally:
        process.terminate()
        process.join()


def scores(s: SeriesSet, forecast: pd.DataFrame) -> tuple[float, float]:
    """Mean MASE over series and the share of held-out points inside the 80 % interval."""
    train, test = split(s)
    joined = test.merge(forecast, on=["unique_id", "ds"], how="left")
    mases = []
    for uid, rows in joined.groupby("unique_id"):
        y = train.loc[train["unique_id"] == uid, "y"].to_numpy()
        m = s.season_length if len(y) > 2 * s.season_length else 1
        scale = np.mean(np.abs(y[m:] - y[:-m])) if len(y) > m else 0.0
        scale = scale if scale > 0 else (np.mean(np.abs(y)) or 1.0)
        mases.append(np.mean(np.abs(rows["y"] - rows["f"])) / scale)
    inside = (joined["y"] >= joined["lo"]) & (joined["y"] <= joined["hi"])
    return float(np.mean(mases)), float(inside.mean())


def main() -> int:
    """Every method on every set; the table with mean ranks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(set_names()))
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    rows = []
    for name in args.sets.split(","):
        s = load(name)
        for method in METHODS:
            status, out, seconds = measure(method, name, args.budget, args.limit)
            mase, cover = scores(s, out) if status == "ok" else (float("nan"), float("nan"))
            note = "" if status == "ok" else str(out)
            rows.append(
                {
                    "set": name,
                    "method": method,
                    "mase": mase,
                    "coverage": cover,
                    "seconds": seconds,
                    "note": note,
                }
            )
            print(
                f"{name:<18} {method:<15} MASE {mase:7.3f} cover {cover:5.1%} {seconds:6.1f}s",
                note,
                flush=True,
            )
    table = pd.DataFrame(rows)
    section = report(table, args)
    print(section)
    write_section(Path(args.out), section, "forecast")
    return 0


def report(table: pd.DataFrame, args: argparse.Namespace) -> str:
    """The markdown section: MASE per set and method, mean rank, coverage and time."""
    table["rank"] = table.groupby("set")["mase"].rank(method="average", na_option="bottom")
    mase = table.pivot(index="set", columns="method", values="mase")[list(METHODS)]
    summary = (
        table.groupby("method")
        .agg(
            mean_rank=("rank", "mean"), coverage=("coverage", "mean"), seconds=("seconds", "mean")
        )
        .loc[list(METHODS)]
    )
    lines = [
        START,
        "## Forecasting: dbt-automl against statsforecast and mlforecast",
        "",
        f"`python bench/forecast.py --budget {args.budget:.0f} --limit {args.limit:.0f}`: the "
        "last horizon of every series held out; MASE (in-sample seasonal naive scale), "
        f"coverage of the {LEVEL}% intervals, mean wall seconds per set, mean rank by MASE "
        "(a failed or killed run ranks last). Sets from bench/forecast_data.py.",
        "",
        "| method | mean rank | coverage 80% | seconds |",
        "| --- | ---: | ---: | ---: |",
    ]
    for method, row in summary.iterrows():
        lines.append(
            f"| {method} | {row['mean_rank']:.2f} | {row['coverage']:.1%} | {row['seconds']:.1f} |"
        )
    lines += ["", "| set | " + " | ".join(METHODS) + " |", "| --- |" + " ---: |" * len(METHODS)]
    for name, row in mase.iterrows():
        cells = [f"{v:.3f}" if np.isfinite(v) else "-" for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    failed = table[table["note"] != ""]
    if len(failed):
        lines += [
            "",
            "Not finished: "
            + "; ".join(f"{r.set}/{r.method} ({r.note})" for r in failed.itertuples()),
        ]
    return "\n".join([*lines, "", END]) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
