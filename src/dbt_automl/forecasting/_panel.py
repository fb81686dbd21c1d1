"""From a training table to a regular panel of series: checked, frequency known, gaps filled.

Every problem with the history is either refused with a message naming the model, the column
and the fix (no time column, duplicate timestamps, an irregular or unparseable frequency, a
horizon longer than any history), or handled by a stated fallback that lands in the model's
decisions and in the log (missing periods filled, series too short to backtest, constant
series, series that stopped early, forecasts kept non-negative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.errors import TrainingDataError
from dbt_automl.forecasting._config import ForecastConfig

ID, DS, Y = "unique_id", "ds", "y"
SEPARATOR = " | "
# A series with fewer points than this cannot be fitted by a statistical model: it is
# forecast by its last value (naive), and says so.
MIN_POINTS = 3
# Share of timestamps off the inferred frequency's grid above which the data is refused.
MAX_OFF_GRID = 0.01


@dataclass
class Panel:
    """The history as a long frame (``unique_id``, ``ds``, ``y``, covariates), regular at
    ``freq``, plus what was decided on the way."""

    frame: pd.DataFrame
    freq: str
    season_lengths: tuple[int, ...]
    keys: dict[str, dict[str, Any]]  # unique_id -> its series column values
    ended: dict[str, str] = field(default_factory=dict)  # unique_id -> last period seen
    short: list[str] = field(default_factory=list)  # forecast naive, not backtested
    constant: list[str] = field(default_factory=list)
    non_negative: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def season_length(self) -> int:
        """The main seasonal period (1: none)."""
        return self.season_lengths[0]

    @property
    def last(self) -> pd.Timestamp:
        """The last period of the history."""
        return pd.Timestamp(self.frame[DS].max())

    def ids(self, excluding: list[str] | None = None) -> list[str]:
        """The forecast series (not ended), optionally without ``excluding``."""
        skip = set(self.ended) | set(excluding or [])
        return [uid for uid in self.keys if uid not in skip]


def build_panel(table: pa.Table, cfg: ForecastConfig, log: Logger) -> Panel:
    """The regular panel of ``table`` for ``cfg``.

    Raises:
        TrainingDataError: a column is missing or unusable, timestamps repeat within a
            series, the frequency is irregular, or the horizon exceeds every history.
    """
    _check_columns(table, cfg)
    frame = _long_frame(table, cfg)
    _refuse_duplicates(frame, cfg)
    freq, share = _frequency(frame, cfg)
    notes: dict[str, Any] = {"frequency": freq}
    if cfg.frequency is None:
        log.info(f"{cfg.model_name}: frequency {freq!r} inferred ({share:.0%} of steps)")
        notes["frequency_inferred"] = True
    _refuse_off_grid(frame, freq, cfg)
    keys = _keys(frame, cfg)
    frame = frame.sort_values([ID, DS], kind="stable").reset_index(drop=True)
    panel = Panel(frame, freq, _seasons(freq), keys, notes=notes)
    _mark_ended(panel, cfg, log)
    panel.frame = _regular(panel, cfg, log)
    _refuse_short_history(panel, cfg)
    _mark_special(panel, cfg, log)
    return panel


def _check_columns(table: pa.Table, cfg: ForecastConfig) -> None:
    roles = {
        "time_column": [cfg.time_column],
        "target": [cfg.target],
        "series_columns": list(cfg.series_columns),
        "known_covariates": list(cfg.known_covariates),
        "past_covariates": list(cfg.past_covariates),
    }
    for key, columns in roles.items():
        for column in columns:
            if column not in table.column_names:
                raise TrainingDataError(
                    f"not in the training table (columns: {table.column_names})",
                    f"add it to the feature model or correct meta.automl.{key}",
                    model=cfg.model_name,
                    column=column,
                )
    if table.num_rows == 0:
        raise TrainingDataError(
            "the training table has no rows", "check the feature model", model=cfg.model_name
        )


def _long_frame(table: pa.Table, cfg: ForecastConfig) -> pd.DataFrame:
    frame = pd.DataFrame({DS: _timestamps(table.column(cfg.time_column), cfg)})
    frame[Y] = _numbers(table.column(cfg.target), cfg, cfg.target, "target")
    for name in (*cfg.known_covariates, *cfg.past_covariates):
        frame[name] = _numbers(table.column(name), cfg, name, "known_covariates")
    keys = {c: table.column(c).to_pandas() for c in cfg.series_columns}
    frame[ID] = series_ids([keys[c] for c in cfg.series_columns], len(frame))
    for column, values in keys.items():
        frame[f"__key__{column}"] = values
    missing_time = frame[DS].isna()
    if missing_time.any():
        # A row without a time cannot be placed: dropped, and counted in the decisions.
        frame = frame[~missing_time]
    if frame.empty:
        raise TrainingDataError(
            "no row has a time",
            "check the time column",
            model=cfg.model_name,
            column=cfg.time_column,
        )
    return frame


def series_ids(columns: list[pd.Series], n_rows: int) -> np.ndarray:
    """Each row's series id: its series column values joined by SEPARATOR (``all`` when
    there are no series columns). Training and the future covariates share it, so their
    rows meet."""
    if not columns:
        return np.full(n_rows, "all", dtype=object)
    uid = columns[0].astype("string").fillna("")
    for part in columns[1:]:
        uid = uid + SEPARATOR + part.astype("string").fillna("")
    return uid.to_numpy(dtype=object)


def _timestamps(column: pa.ChunkedArray, cfg: ForecastConfig) -> pd.Series:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pd.to_datetime(column.to_pandas())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = column.to_pandas()
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        unparsed = parsed.isna() & text.notna()
        if unparsed.mean() > MAX_OFF_GRID:
            raise TrainingDataError(
                f"{int(unparsed.sum())} of {len(text)} values are not dates or times "
                f"(e.g. {text[unparsed].iloc[0]!r})",
                "cast it to a date or timestamp in the feature model",
                model=cfg.model_name,
                column=cfg.time_column,
            )
        return parsed
    raise TrainingDataError(
        f"has type {column.type}, not a date or timestamp",
        "cast it to a date or timestamp in the feature model",
        model=cfg.model_name,
        column=cfg.time_column,
    )


def _numbers(column: pa.ChunkedArray, cfg: ForecastConfig, name: str, key: str) -> np.ndarray:
    kind = column.type
    if not (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
    ):
        raise TrainingDataError(
            f"has type {kind}; forecasting needs numbers",
            f"cast it to a number in the feature model (or drop it from meta.automl.{key})",
            model=cfg.model_name,
            column=name,
        )
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def _refuse_duplicates(frame: pd.DataFrame, cfg: ForecastConfig) -> None:
    repeated = frame.duplicated([ID, DS], keep=False)
    if repeated.any():
        first = frame[repeated].iloc[0]
        raise TrainingDataError(
            f"{int(repeated.sum())} rows share a timestamp with another row of the same series "
            f"(e.g. series {first[ID]!r} at {first[DS]})",
            "aggregate to one row per series and period in the feature model (group by "
            "the series columns and the time column), or add the column that tells them "
            "apart to meta.automl.series_columns",
            model=cfg.model_name,
            column=cfg.time_column,
        )


def _frequency(frame: pd.DataFrame, cfg: ForecastConfig) -> tuple[str, float]:
    """The frequency alias (given or inferred) and the share of steps that agree with it."""
    if cfg.frequency is not None:
        try:
            pd.tseries.frequencies.to_offset(cfg.frequency)
        except ValueError:
            raise cfg.error(
                "frequency",
                f"{cfg.frequency!r} is not a pandas frequency",
                "use e.g. D, W-MON, MS, QS, YS, h (or remove it to infer it)",
            ) from None
        return str(cfg.frequency), 1.0
    ordered = frame.sort_values([ID, DS])
    steps = ordered.groupby(ID, sort=False)[DS].diff().dropna()
    if steps.empty:
        raise TrainingDataError(
            "cannot infer a frequency: no series has two points",
            "set meta.automl.frequency (e.g. D) or add history",
            model=cfg.model_name,
            column=cfg.time_column,
        )
    step = steps.mode().iloc[0]
    share = float((steps == step).mean())
    days = step / pd.Timedelta(days=1)
    if days >= 28:  # calendar periods: months, quarters, years, anchored like the data
        return _calendar_frequency(days, ordered[DS], cfg), 1.0
    return _fixed_frequency(step, ordered[DS], cfg), share


def _calendar_frequency(days: float, stamps: pd.Series, cfg: ForecastConfig) -> str:
    months = int(round(days / 30.44))
    starts = bool((stamps.dt.day == 1).all())
    ends = bool(stamps.dt.is_month_end.all())
    if not (starts or ends):
        raise _irregular(cfg, f"steps of ~{days:.0f} days on varying days of the month")
    unit = {12: "Y", 3: "Q", 1: "M"}.get(months)
    if unit is None:  # calendar multiples (every 2 months...) are rare: name them explicitly
        raise _irregular(cfg, f"steps of ~{months} months")
    return f"{unit}{'S' if starts else 'E'}"


def _fixed_frequency(step: pd.Timedelta, stamps: pd.Series, cfg: ForecastConfig) -> str:
    days = step / pd.Timedelta(days=1)
    if days >= 7 and days % 7 == 0:
        weekday = stamps.dt.day_name().str[:3].str.upper().mode().iloc[0]
        weeks = int(days // 7)
        return f"{weeks if weeks > 1 else ''}W-{weekday}"
    if days >= 1 and days == int(days):
        return f"{int(days) if days > 1 else ''}D"
    minutes = step / pd.Timedelta(minutes=1)
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours if hours > 1 else ''}h"
    if minutes >= 1 and minutes == int(minutes):
        return f"{int(minutes)}min"
    raise _irregular(cfg, f"a most common step of {step}")


def _irregular(cfg: ForecastConfig, what: str) -> TrainingDataError:
    return TrainingDataError(
        f"irregular frequency: {what}",
        "aggregate to a regular period in the feature model (e.g. date_trunc('week', ...)) "
        "or set meta.automl.frequency",
        model=cfg.model_name,
        column=cfg.time_column,
    )


def _refuse_off_grid(frame: pd.DataFrame, freq: str, cfg: ForecastConfig) -> None:
    """Timestamps must sit on the frequency's grid (a daily series at noon on some days
    and midnight on others is not daily)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    stamps = pd.DatetimeIndex(frame[DS])
    snapped = stamps.floor(freq) if _is_fixed(offset) else stamps.normalize()
    on_grid = snapped == stamps
    if not _is_fixed(offset):
        on_grid &= np.asarray([offset.is_on_offset(s) for s in stamps.unique()]).all()
    off = 1.0 - float(np.mean(on_grid))
    if off > MAX_OFF_GRID:
        example = stamps[~np.asarray(on_grid)][0] if not np.all(on_grid) else stamps[0]
        raise _irregular(cfg, f"{off:.0%} of timestamps are off a {freq} grid (e.g. {example})")


def _is_fixed(offset: Any) -> bool:
    try:
        pd.Timedelta(offset)
    except ValueError:
        return False
    return True


def _keys(frame: pd.DataFrame, cfg: ForecastConfig) -> dict[str, dict[str, Any]]:
    if not cfg.series_columns:
        return {"all": {}}
    columns = [f"__key__{c}" for c in cfg.series_columns]
    first = frame.drop_duplicates(ID)[[ID, *columns]]
    return {
        row[0]: {c: _plain(v) for c, v in zip(cfg.series_columns, row[1:], strict=True)}
        for row in first.itertuples(index=False)
    }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _seasons(freq: str) -> tuple[int, ...]:
    """Seasonal periods of a frequency, main one first (MSTL uses them all)."""
    base = pd.tseries.frequencies.to_offset(freq)
    name = base.name.split("-")[0].rstrip("SE") if base.name else ""
    if base.n != 1:
        return (1,)
    return {
        "D": (7, 365),
        "B": (5, 261),
        "W": (52,),
        "M": (12,),
        "Q": (4,),
        "Y": (1,),
        "h": (24, 168),
        "min": (60, 1440),
    }.get(name, (1,))


def _mark_ended(panel: Panel, cfg: ForecastConfig, log: Logger) -> None:
    """Series that stopped more than one horizon before the end are not forecast."""
    last_seen = panel.frame.groupby(ID)[DS].max()
    cutoff = panel.last - cfg.horizon * pd.tseries.frequencies.to_offset(panel.freq)
    ended = last_seen[last_seen < cutoff]
    panel.ended = {
        uid: str(day.date() if day == day.normalize() else day) for uid, day in ended.items()
    }
    if panel.ended:
        log.warning(
            f"{cfg.model_name}: {len(panel.ended)} series stopped more than one horizon "
            f"before {panel.last.date()} and are not forecast (e.g. {next(iter(panel.ended))!r} "
            f"last seen {next(iter(panel.ended.values()))})"
        )


def _regular(panel: Panel, cfg: ForecastConfig, log: Logger) -> pd.DataFrame:
    """Every series on its full grid, first point to the panel's end (ended series: to
    their own end); missing periods filled by ``fill_missing`` and counted."""
    keep = [ID, DS, Y, *cfg.known_covariates, *cfg.past_covariates]
    blocks, filled, series_filled = [], 0, 0
    end = panel.last
    for uid, block in panel.frame[keep].groupby(ID, sort=False):
        stop = block[DS].max() if uid in panel.ended else end
        grid = pd.date_range(block[DS].min(), stop, freq=panel.freq)
        full = block.set_index(DS).reindex(grid)
        full.index.name = DS
        gaps = int(full[Y].isna().sum())
        if gaps:
            filled += gaps
            series_filled += 1
            full[Y] = _filled(full[Y], cfg.fill_missing)
        covariates = [*cfg.known_covariates, *cfg.past_covariates]
        if covariates:
            full[covariates] = full[covariates].ffill().bfill().fillna(0.0)
        full[ID] = uid
        blocks.append(full.reset_index())
    if filled:
        how = "linear interpolation" if cfg.fill_missing == "interpolate" else "zeros"
        log.info(
            f"{cfg.model_name}: {filled} missing periods (or missing values) in "
            f"{series_filled} series filled by {how} (meta.automl.fill_missing)"
        )
    panel.notes["missing_periods_filled"] = {"periods": filled, "series": series_filled}
    return pd.concat(blocks, ignore_index=True)[keep]


def _filled(values: pd.Series, method: str) -> pd.Series:
    if method == "zero":
        return values.fillna(0.0)
    # Inside the history: a straight line between neighbours; at the ends: the nearest value.
    return values.interpolate(method="linear", limit_area="inside").ffill().bfill()


def _refuse_short_history(panel: Panel, cfg: ForecastConfig) -> None:
    longest = int(panel.frame.groupby(ID).size().max())
    if cfg.horizon >= longest:
        raise TrainingDataError(
            f"horizon {cfg.horizon} is not shorter than the longest history ({longest} "
            f"periods of {panel.freq})",
            "shorten meta.automl.horizon or add history",
            model=cfg.model_name,
            key="horizon",
        )


def _mark_special(panel: Panel, cfg: ForecastConfig, log: Logger) -> None:
    """Short and constant series (stated fallbacks) and series never negative (kept so)."""
    stats = panel.frame.groupby(ID)[Y].agg(["size", "min", "max"])
    for uid, row in stats.iterrows():
        if uid in panel.ended:
            continue
        if row["size"] < MIN_POINTS:
            panel.short.append(str(uid))
        elif row["min"] == row["max"]:
            panel.constant.append(str(uid))
        if row["min"] >= 0:
            panel.non_negative.append(str(uid))
    if panel.short:
        log.warning(
            f"{cfg.model_name}: {len(panel.short)} series with fewer than {MIN_POINTS} points "
            f"are forecast by their last value (naive), not backtested (e.g. {panel.short[0]!r})"
        )
    if panel.constant:
        log.info(
            f"{cfg.model_name}: {len(panel.constant)} constant series are forecast by their "
            f"value (e.g. {panel.constant[0]!r}); MASE is undefined for them"
        )
