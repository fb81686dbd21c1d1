"""What forecasting python models call: train a forecaster (``task: forecasting``) and
write its forecast table.

The same shape as the supervised glue: settings in ``meta.automl``, a registry version per
change of data or settings (the same fingerprint rule), one row per version in the
trained-model table, and a forecast table that downstream SQL ``ref()``s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.dbt._judge_forecast import backtest_scores
from dbt_automl.dbt._relations import column_types
from dbt_automl.dbt._reuse import reuse_or_build
from dbt_automl.dbt._tables import VERSION_KEYS, VERSION_PROVENANCE
from dbt_automl.dbt._tasks import (
    Fitted,
    common_row,
    load_current,
    train_or_reuse,
    version_metadata,
    versions_of,
)
from dbt_automl.forecasting import (
    FORECAST,
    ForecastConfig,
    ForecastModel,
    ForecastResult,
    parse_forecast_config,
)
from dbt_automl.registry import ModelVersion, Registry

METRICS = ("mase", "relative_mase", "smape", "rmse", "seasonal_naive_mase")


def train_forecast(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any]
) -> pa.Table:
    """Train (or reuse) a forecaster on ``rows``; one row per registered version.

    Unchanged data (fingerprint) and settings reuse the current version.
    """
    from dbt_automl.dbt._glue import model_name_of

    cfg = parse_forecast_config(config, model_name_of(dbt))

    def fit(_current: ModelVersion | None, n_rows: int, data_fp: str) -> Fitted:
        from dbt_automl.forecasting import train_forecaster

        result = train_forecaster(rows.to_arrow_table(), cfg, get_logger())
        data = {"rows": n_rows, "fingerprint": data_fp, "train_rows": result.n_rows}
        metadata = _metadata(cfg, result, column_types(rows), data)
        # The champion's recipe is judged on this run's backtest windows, not as recorded.
        return Fitted(result.model, metadata, partial(backtest_scores, result, metadata))

    return train_or_reuse(rows, cfg, fit, lambda registry: forecast_versions_table(registry, cfg))


def _metadata(
    cfg: ForecastConfig, result: ForecastResult, types: dict[str, str], data: dict[str, Any]
) -> dict[str, Any]:
    model = result.model
    per_series = result.per_series.reset_index().rename(columns={"index": "unique_id"})
    per_series.insert(0, "series", [model.keys.get(u, {}) for u in per_series["unique_id"]])
    return version_metadata(
        cfg,
        data,
        result.duration_s,
        target=cfg.target,
        metric="mase",
        time_column=cfg.time_column,
        series_columns=[{"name": c, "duckdb_type": types[c]} for c in cfg.series_columns],
        time_type=types[cfg.time_column],
        frequency=model.freq,
        horizon=cfg.horizon,
        levels=list(cfg.levels),
        known_covariates=list(cfg.known_covariates),
        past_covariates=list(cfg.past_covariates),
        last_period=str(model.last),
        n_series=len(model.keys),
        strategy={"name": model.strategy.name, "default": model.strategy.default},
        leaderboard=result.leaderboard,
        decisions=result.decisions,
        metrics={"backtest": result.metrics},
        series_metrics=json.loads(per_series.to_json(orient="records")),
    )


def _versions_schema(levels: list[int]) -> pa.Schema:
    head = [
        *VERSION_KEYS,
        ("time_column", pa.string()),
        ("series_columns", pa.string()),
        ("frequency", pa.string()),
        ("horizon", pa.int32()),
        ("strategy", pa.string()),
        ("members", pa.string()),
    ]
    # Backtest metrics are held out (leave-one-window-out): the test_ prefix the generic
    # metric tests read, as for the supervised tasks' test split.
    metrics = [(f"test_{m}", pa.float64()) for m in METRICS]
    metrics += [(f"test_coverage_{level}", pa.float64()) for level in levels]
    tail = [
        ("n_series", pa.int32()),
        ("train_rows", pa.int64()),
        ("last_period", pa.timestamp("us")),
        *VERSION_PROVENANCE,
        ("leaderboard", pa.string()),
        ("series_metrics", pa.string()),
        ("decisions", pa.string()),
    ]
    return pa.schema(head + metrics + tail)


def forecast_versions_table(registry: Registry, cfg: ForecastConfig) -> pa.Table:
    """Every registered version of a forecasting model, the newest current."""
    levels = sorted(
        {lv for v in registry.versions(cfg.model_name) for lv in v.metadata.get("levels", [])}
    )
    return versions_of(registry, cfg.model_name, _versions_schema(levels), _version_row)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
    backtest = meta["metrics"]["backtest"]
    return {
        **common_row(version, is_current),
        "time_column": meta["time_column"],
        "series_columns": json.dumps([c["name"] for c in meta["series_columns"]]),
        "frequency": meta["frequency"],
        "horizon": meta["horizon"],
        "strategy": meta["strategy"]["name"],
        "members": "+".join(meta["strategy"]["default"]),
        **{f"test_{m}": backtest.get(m) for m in METRICS},
        **{f"test_coverage_{lv}": backtest.get(f"coverage_{lv}") for lv in meta["levels"]},
        "n_series": meta["n_series"],
        "train_rows": meta["data"]["train_rows"],
        "last_period": pd.Timestamp(meta["last_period"]).to_pydatetime(),
        "leaderboard": json.dumps(meta["leaderboard"], default=str),
        "series_metrics": json.dumps(meta["series_metrics"], default=str),
        "decisions": json.dumps(meta["decisions"], sort_keys=True, default=str),
    }


def forecast(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    future: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table | duckdb.DuckDBPyRelation:
    """The current version's forecast: one row per series and future period, with the
    point forecast, the interval bounds per level, the candidate(s) that made it and the
    model version. ``future`` holds the known-in-advance covariates of future periods
    (series columns, time column, covariates)."""
    return reuse_or_build(dbt, session, model, [future], {}, lambda: _forecast(dbt, model, future))


def _forecast(
    dbt: Any, model: duckdb.DuckDBPyRelation, future: duckdb.DuckDBPyRelation | None
) -> pa.Table:
    from dbt_automl.dbt._glue import model_name_of

    log = get_logger()
    name = model_name_of(dbt)
    fitted, meta = load_current(model, ForecastModel, "a forecasting model", name)
    rows = None if future is None else future.to_arrow_table().to_pandas()
    frame = fitted.predict(rows, log)
    log.info(
        f"{name}: forecast {frame['unique_id'].nunique()} series x {meta['horizon']} periods "
        f"with {meta['model_name']} v{meta['version']}"
    )
    return _forecast_table(frame, meta, fitted.keys)


def _forecast_table(
    frame: pd.DataFrame, meta: dict[str, Any], model_keys: dict[str, dict[str, Any]]
) -> pa.Table:
    out: dict[str, Any] = {}
    for column in meta["series_columns"]:
        out[column["name"]] = [model_keys[u].get(column["name"]) for u in frame["unique_id"]]
    stamps = pd.to_datetime(frame["ds"])
    time_type = meta["time_type"].upper()
    out[meta["time_column"]] = stamps.dt.date if time_type == "DATE" else stamps
    out[FORECAST] = frame[FORECAST].to_numpy(dtype=float)
    for level in meta["levels"]:
        out[f"lower_{level}"] = frame[f"lo_{level}"].to_numpy(dtype=float)
        out[f"upper_{level}"] = frame[f"hi_{level}"].to_numpy(dtype=float)
    out["candidate"] = frame["candidate"].astype(str).to_numpy()
    out["model_name"] = meta["model_name"]
    out["model_version"] = int(meta["version"])
    out["forecast_at"] = datetime.now(UTC).replace(tzinfo=None)
    table = pa.Table.from_pandas(pd.DataFrame(out), preserve_index=False)
    return table.set_column(
        table.schema.get_field_index("model_version"),
        "model_version",
        table.column("model_version").cast(pa.int32()),
    )
