"""From an interactions table to one row per (user, item), checked, and the holdout split.

Every problem is refused with a message naming the model, the column and the fix (no rows,
a missing column, a weight or time column of the wrong type), or handled by a stated
fallback that lands in the decisions and in the log: rows without a user or item dropped,
weights that are null, not finite or <= 0 dropped, repeated (user, item) rows summed, users
with one interaction kept for training but not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from dbt_automl._log import Logger
from dbt_automl.errors import TrainingDataError
from dbt_automl.recommendation._config import RecommendConfig

U, I, W, T = "u", "i", "w", "t"  # noqa: E741  (user code, item code, summed weight, latest time)


@dataclass
class Interactions:
    """One row per (user, item) with codes into ``users`` / ``items`` (the labels as read),
    the summed weight and the latest time; plus what was decided on the way."""

    frame: pd.DataFrame
    users: np.ndarray
    items: np.ndarray
    user_type: pa.DataType
    item_type: pa.DataType
    by_time: bool
    n_rows: int
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(users, items) of the whole table."""
        return len(self.users), len(self.items)

    def matrix(self, frame: pd.DataFrame | None = None) -> sp.csr_matrix:
        """Users x items of interaction strength ``log1p(weight)`` (``frame``'s rows, or all).

        The log keeps a user's 500 purchases of one item from swamping everything else
        they did (spend and counts are heavy-tailed); every stored value is > 0.
        """
        rows = self.frame if frame is None else frame
        strength = np.log1p(rows[W].to_numpy(dtype=float))
        return sp.csr_matrix(
            (strength, (rows[U].to_numpy(), rows[I].to_numpy())), shape=self.shape
        )


def prepare_interactions(table: pa.Table, cfg: RecommendConfig, log: Logger) -> Interactions:
    """The checked interactions of ``table`` for ``cfg``.

    Raises:
        TrainingDataError: no rows, a named column is missing, the weight is not numeric
            or the time not a time or number, or no usable row is left.
    """
    if table.num_rows == 0:
        raise TrainingDataError(
            "the interactions table has no rows",
            "check the feature model's filters and sources; a recommender needs interactions",
            model=cfg.model_name,
        )
    _check_columns(table, cfg)
    notes: dict[str, Any] = {}
    frame = _read(table, cfg, notes, log)
    frame = _sum_duplicates(frame, cfg, notes, log)
    user_codes, users = pd.factorize(frame.pop("user"), sort=False)
    item_codes, items = pd.factorize(frame.pop("item"), sort=False)
    frame.insert(0, U, user_codes)
    frame.insert(1, I, item_codes)
    counts = np.bincount(user_codes)
    notes["single_interaction_users"] = int((counts == 1).sum())
    if notes["single_interaction_users"]:
        log.info(
            f"{cfg.model_name}: {notes['single_interaction_users']} user(s) have one "
            "interaction: used for training, but nothing of theirs can be held out to evaluate"
        )
    return Interactions(
        frame=frame.reset_index(drop=True),
        users=np.asarray(users, dtype=object),
        items=np.asarray(items, dtype=object),
        user_type=table.schema.field(cfg.user_column).type,
        item_type=table.schema.field(cfg.item_column).type,
        by_time=cfg.time_column is not None,
        n_rows=table.num_rows,
        notes=notes,
    )


def _check_columns(table: pa.Table, cfg: RecommendConfig) -> None:
    roles = {
        "user_column": cfg.user_column,
        "item_column": cfg.item_column,
        "weight_column": cfg.weight_column,
        "time_column": cfg.time_column,
    }
    for key, name in roles.items():
        if name is not None and name not in table.column_names:
            raise TrainingDataError(
                f"not in the interactions table (columns: {table.column_names})",
                f"add it to the feature model or correct {key}",
                model=cfg.model_name,
                column=name,
                key=key,
            )
    if cfg.weight_column is not None:
        kind = table.schema.field(cfg.weight_column).type
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
        ):
            raise TrainingDataError(
                f"must be numeric (an amount or a count), got {kind}",
                "cast it in the feature model, or leave weight_column out (each row counts 1)",
                model=cfg.model_name,
                column=cfg.weight_column,
                key="weight_column",
            )


def _read(table: pa.Table, cfg: RecommendConfig, notes: dict, log: Logger) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user": table.column(cfg.user_column).to_pandas(),
            "item": table.column(cfg.item_column).to_pandas(),
        }
    )
    frame[W] = _weights(table, cfg)
    frame[T] = _times(table, cfg, notes, log)
    missing = frame["user"].isna() | frame["item"].isna()
    bad_weight = ~np.isfinite(frame[W]) | (frame[W] <= 0)
    _drop_note(notes, log, cfg, "without_user_or_item", int(missing.sum()), "have no user or item")
    _drop_note(
        notes,
        log,
        cfg,
        "bad_weight",
        int((bad_weight & ~missing).sum()),
        f"have a {cfg.weight_column} that is null, not finite or <= 0 (not an interaction)",
    )
    frame = frame[~missing & ~bad_weight]
    if frame.empty:
        raise TrainingDataError(
            f"none of the {table.num_rows} rows is a usable interaction (see the reasons "
            "logged above)",
            "give every row a user, an item and a weight > 0",
            model=cfg.model_name,
            column=cfg.weight_column or cfg.user_column,
        )
    return frame


def _drop_note(
    notes: dict, log: Logger, cfg: RecommendConfig, key: str, count: int, why: str
) -> None:
    if count:
        notes[f"dropped_{key}"] = count
        log.warning(f"{cfg.model_name}: dropped {count} row(s) that {why}")


def _weights(table: pa.Table, cfg: RecommendConfig) -> np.ndarray:
    if cfg.weight_column is None:
        return np.ones(table.num_rows)
    values = table.column(cfg.weight_column).to_pandas()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _times(table: pa.Table, cfg: RecommendConfig, notes: dict, log: Logger) -> np.ndarray:
    """Times as numbers (nanoseconds for timestamps and dates); a null time counts as the
    oldest, so the row stays in training and is never held out."""
    if cfg.time_column is None:
        return np.zeros(table.num_rows)
    column = table.column(cfg.time_column)
    kind = column.type
    if pa.types.is_temporal(kind):
        stamps = pd.to_datetime(column.to_pandas())
        values = stamps.astype("int64").to_numpy(dtype=float)
        values[stamps.isna().to_numpy()] = np.nan
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = column.to_pandas().to_numpy(dtype=float, na_value=np.nan)
    else:
        raise TrainingDataError(
            f"must be a date, a timestamp or a number, got {kind}",
            "cast it in the feature model, or leave time_column out (random holdout)",
            model=cfg.model_name,
            column=cfg.time_column,
            key="time_column",
        )
    nulls = int(np.isnan(values).sum())
    if nulls:
        notes["null_times_oldest"] = nulls
        log.warning(
            f"{cfg.model_name}: {nulls} row(s) have no {cfg.time_column}; counted as the "
            "oldest, so they are trained on and never held out"
        )
    return np.nan_to_num(values, nan=-np.inf)


def _sum_duplicates(
    frame: pd.DataFrame, cfg: RecommendConfig, notes: dict, log: Logger
) -> pd.DataFrame:
    """One row per (user, item): weights summed (a count without ``weight_column``), the
    latest time kept (what the holdout orders by)."""
    grouped = frame.groupby(["user", "item"], sort=False, dropna=False, observed=True)
    summed = grouped.agg(**{W: (W, "sum"), T: (T, "max")}).reset_index()
    repeated = len(frame) - len(summed)
    if repeated:
        notes["duplicate_rows_summed"] = repeated
        what = f"their {cfg.weight_column} added up" if cfg.weight_column else "counted"
        log.info(
            f"{cfg.model_name}: {repeated} row(s) repeat a (user, item) pair already seen; "
            f"summed into one interaction each ({what}, the latest time kept)"
        )
    return summed


def split_holdout(
    data: Interactions, frame: pd.DataFrame, share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest ``share`` of interactions (at least one, never all) held out.

    Latest by time when the data has a time column (ties broken at random with ``seed``),
    else drawn at random with ``seed``. Users with one interaction keep it for training.
    """
    rng = np.random.default_rng(seed)
    ordered = frame.assign(_tie=rng.random(len(frame)))
    keys = [U, T, "_tie"] if data.by_time else [U, "_tie"]
    ordered = ordered.sort_values(keys, kind="stable")
    from_end = ordered.groupby(U, sort=False).cumcount(ascending=False).to_numpy()
    sizes = ordered.groupby(U, sort=False)[I].transform("size").to_numpy()
    held = np.clip(np.rint(share * sizes), 1, sizes - 1)
    is_test = (sizes >= 2) & (from_end < held)
    ordered = ordered.drop(columns="_tie")
    return ordered[~is_test], ordered[is_test]
