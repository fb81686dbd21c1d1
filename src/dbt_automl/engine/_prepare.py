"""The first stages: the target, the features, the splits and the fold matrices."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.engine._state import TrainState
from dbt_automl.errors import TrainingDataError, problem
from dbt_automl.preprocess import build_preprocessor, infer_schema, leakage_warnings, to_frame
from dbt_automl.search import Fold, make_families, plan_validation
from dbt_automl.tasks import MIN_CLASS_ROWS, resolve

# Below this many labelled rows there is no test split and no validation worth the name:
# 20 rows leave 4 to test on and 3-4 per validation fold.
MIN_ROWS = 20


def prepare(state: TrainState) -> None:
    """Task and target, metric, group and time columns, the feature schema and frame."""
    cfg = state.cfg
    _require_rows(state)
    state.task, state.target = resolve(state.table[cfg.target], cfg)
    if state.target.rows is not None:
        _leave_out_rare_classes(state)
        _require_rows(state)
    state.metric = state.task.metric(cfg.metric, cfg)
    state.groups = _column(state, cfg.group_column, "group_column")
    state.times = _column(state, cfg.time_column, "time_column")
    _features(state)


def _require_rows(state: TrainState) -> None:
    n = state.table.num_rows
    if n >= MIN_ROWS:
        return
    raise TrainingDataError(
        "the training table has no rows with a non-null target"
        if n == 0
        else f"the training table has {n} rows with a non-null target; training needs {MIN_ROWS}",
        "check the upstream feature model and its filters, or train on more rows",
        model=state.name,
        column=state.cfg.target,
    )


def _leave_out_rare_classes(state: TrainState) -> None:
    dropped = state.target.dropped
    state.table = state.table.take(pa.array(state.target.rows))
    state.decisions["rare_classes_left_out"] = dropped
    state.log.warning(
        problem(
            f"classes {dropped} (class: rows) have fewer than {MIN_CLASS_ROWS} rows, too few "
            "to learn and test; their rows are left out",
            "add labelled rows of those classes, or merge them with another in the feature model",
            model=state.name,
            column=state.cfg.target,
        )
    )


def _column(state: TrainState, name: str | None, key: str) -> np.ndarray | None:
    if name is None:
        return None
    if name not in state.table.column_names:
        raise TrainingDataError(
            "not in the training table",
            f"add it to the feature model or correct {key}",
            model=state.name,
            column=name,
            key=key,
        )
    column = state.table[name]
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
    return np.asarray(column.to_pylist(), dtype=object if key == "group_column" else float)


def _features(state: TrainState) -> None:
    cfg = state.cfg
    dropped = {cfg.target, *cfg.id_columns, *cfg.exclude}
    if state.groups is not None and cfg.group_column is not None:
        dropped.add(cfg.group_column)
    schema = infer_schema(state.table.drop_columns(sorted(dropped)))
    if not schema.columns:
        raise TrainingDataError(
            f"no usable feature columns (dropped: {[(d.name, d.reason) for d in schema.dropped]})",
            "add features to the feature model",
            model=cfg.model_name,
        )
    for gone in schema.dropped:
        state.info(f"dropping column {gone.name!r}: {gone.reason}")
    state.schema = schema
    state.frame = to_frame(state.table, schema)
    infinite = {
        name: int(np.isinf(values).sum())
        for name, values in state.frame.items()
        if values.dtype.kind == "f" and np.isinf(values).any()
    }
    if infinite:
        state.decisions["infinite_values"] = infinite
        state.warn(
            f"infinite values {infinite} (column: rows) are clipped to each column's training "
            "range, like outliers"
        )


def plan_splits(state: TrainState) -> None:
    """The test split, the search sample and its folds; leakage checks; fold matrices."""
    cfg, task = state.cfg, state.task
    plan = plan_validation(state.target.y, task.stratify, cfg, state.groups, state.times)
    state.plan = plan
    state.info(
        f"{task.name} on {len(plan.train)} rows x {len(state.schema.columns)} "
        f"features ({len(plan.test)} held out for test, {plan.split}, {plan.describe()} "
        f"validation), metric {state.metric.name}, budget {cfg.time_budget_s:.0f}s"
    )
    found = leakage_warnings(state.frame_train, state.y_train, task, state.schema)
    for message in found:
        state.warn(message)
    state.decisions["leakage_warnings"] = found
    frame, y = state.frame_search, state.y_search
    state.folds = []
    for train, valid in plan.folds:
        pre = build_preprocessor(state.schema, task, cfg.seed)
        X_train = pre.fit_transform(frame.iloc[train], y[train])
        state.folds.append(
            Fold(X_train, y[train], pre.transform(frame.iloc[valid]), y[valid], pre)
        )
    state.families = make_families(cfg.families, task, len(plan.train), cfg.n_jobs)
