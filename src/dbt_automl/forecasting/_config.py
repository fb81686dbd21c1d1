"""The ``meta.automl`` block of a forecasting model (``task: forecasting``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_automl.config import as_names, check_keys, time_budget, whole_number
from dbt_automl.errors import ConfigError

FORECAST_TASK = "forecasting"
DEFAULT_LEVELS = (80, 95)
# Candidates, cheapest first: the search fits them in this order while the budget lasts.
CANDIDATES = ("seasonal_naive", "theta", "ets", "mstl", "lightgbm", "arima")
FILL_METHODS = ("interpolate", "zero")


@dataclass(frozen=True)
class ForecastConfig:
    """Validated settings of one forecasting model; each field is a ``meta.automl`` key.

    ``known_covariates`` are columns whose future values are known in advance (prices,
    promotions, holidays): the scoring model reads them from a relation of future rows.
    ``past_covariates`` are only known up to now: used through their values ``horizon``
    periods back, which are known for every period forecast.
    """

    model_name: str
    target: str
    time_column: str
    horizon: int
    series_columns: tuple[str, ...] = ()
    frequency: str | None = None
    known_covariates: tuple[str, ...] = ()
    past_covariates: tuple[str, ...] = ()
    levels: tuple[int, ...] = DEFAULT_LEVELS
    backtest_windows: int = 3
    candidates: tuple[str, ...] = CANDIDATES
    fill_missing: str = "interpolate"
    time_budget_s: float = 60.0
    seed: int = 42
    registry_path: str | None = None
    n_jobs: int = 1
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def task(self) -> str:
        """Always ``forecasting``."""
        return FORECAST_TASK

    def error(self, key: str, message: str, fix: str) -> ConfigError:
        """A ConfigError that names the model, the key and the fix."""
        return ConfigError(message, fix, model=self.model_name, key=key)


def is_forecasting(raw: Mapping[str, Any] | None) -> bool:
    """Whether a ``meta.automl`` block asks for a forecasting model."""
    return bool(raw) and raw.get("task") == FORECAST_TASK  # type: ignore[union-attr]


def parse_forecast_config(raw: Mapping[str, Any], model_name: str) -> ForecastConfig:
    """Validate a forecasting ``meta.automl`` block.

    Raises:
        ConfigError: a key is unknown or missing, or a value is out of range.
    """
    known = {f for f in ForecastConfig.__dataclass_fields__ if f not in ("model_name", "raw")}
    required = {"target": "units", "time_column": "sale_date", "horizon": "28"}
    check_keys(raw, known, FORECAST_TASK, model_name, required)
    cfg = ForecastConfig(
        model_name=model_name,
        target=str(raw["target"]),
        time_column=str(raw["time_column"]),
        horizon=_int(raw, "horizon", model_name),
        series_columns=_names(raw, "series_columns", model_name),
        frequency=raw.get("frequency"),
        known_covariates=_names(raw, "known_covariates", model_name),
        past_covariates=_names(raw, "past_covariates", model_name),
        levels=tuple(_levels(raw, model_name)),
        backtest_windows=_int(raw, "backtest_windows", model_name, 3),
        candidates=_names(raw, "candidates", model_name) or CANDIDATES,
        fill_missing=str(raw.get("fill_missing", "interpolate")),
        time_budget_s=time_budget(raw, model_name),
        seed=_int(raw, "seed", model_name, 42),
        registry_path=raw.get("registry_path"),
        n_jobs=_int(raw, "n_jobs", model_name, 1),
        raw=dict(raw),
    )
    _check(cfg)
    return cfg


def _names(raw: Mapping[str, Any], key: str, model_name: str) -> tuple[str, ...]:
    return as_names(raw.get(key), key, model_name)


def _int(raw: Mapping[str, Any], key: str, model_name: str, default: int = 28) -> int:
    return whole_number(raw, key, model_name, default)


def _levels(raw: Mapping[str, Any], model_name: str) -> list[int]:
    value = raw.get("levels", list(DEFAULT_LEVELS))
    values = value if isinstance(value, list | tuple) else [value]
    if not values or not all(isinstance(v, int | float) and 50 <= v < 100 for v in values):
        raise ConfigError(
            f"expected interval levels in percent, each in [50, 100), got {value!r}",
            "write e.g. `levels: [80, 95]`",
            model=model_name,
            key="levels",
        )
    return sorted({int(v) for v in values})


def _check(cfg: ForecastConfig) -> None:
    if cfg.horizon < 1:
        raise cfg.error("horizon", f"must be >= 1 period, got {cfg.horizon}", "use e.g. 28")
    if not 1 <= cfg.backtest_windows <= 20:
        raise cfg.error(
            "backtest_windows", f"must be in [1, 20], got {cfg.backtest_windows}", "use 3"
        )
    bad = [c for c in cfg.candidates if c not in CANDIDATES]
    if bad:
        raise cfg.error("candidates", f"unknown candidates {bad}", f"choose from {CANDIDATES}")
    if cfg.fill_missing not in FILL_METHODS:
        raise cfg.error(
            "fill_missing", f"must be one of {FILL_METHODS}, got {cfg.fill_missing!r}", "use one"
        )
    if cfg.n_jobs == 0 or cfg.n_jobs < -1:
        raise cfg.error("n_jobs", f"must be >= 1 or -1 (all cores), got {cfg.n_jobs}", "use 1")
    roles = [cfg.target, cfg.time_column, *cfg.series_columns]
    roles += [*cfg.known_covariates, *cfg.past_covariates]
    repeated = sorted({c for c in roles if roles.count(c) > 1})
    if repeated:
        raise cfg.error(
            "series_columns",
            f"column(s) {repeated} named in more than one role (target, time, series, covariates)",
            "give each column one role",
        )
