"""Fit one AutoML model on an Arrow table: typing, splits, search, refit, test metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from dbt_automl._config import AutomlConfig
from dbt_automl._errors import ConfigError, TrainingDataError
from dbt_automl._families import Family, make_families
from dbt_automl._log import Logger
from dbt_automl._model import AutoMLModel
from dbt_automl._preprocess import FeatureSchema, build_preprocessor, infer_schema, to_frame
from dbt_automl._search import Fold, SearchResult, predict, run_search
from dbt_automl._tasks import Metric, best_f1_threshold, evaluate, metric_for

CV_MAX_ROWS = 20_000  # below this, 3-fold CV; above, one holdout split is accurate enough


@dataclass
class Target:
    """The label: its task kind, encoded values and the original classes."""

    kind: str
    y: np.ndarray
    classes: list[Any] | None = None


@dataclass
class TrainResult:
    """Everything a training run produced, ready to be registered."""

    model: AutoMLModel
    schema: FeatureSchema
    target: Target
    metric: Metric
    search: SearchResult
    test_metrics: dict[str, float]
    threshold: float | None
    train_rows: int
    test_rows: int
    duration_s: float
    notes: list[str] = field(default_factory=list)


def _classes(values: np.ndarray, cfg: AutomlConfig) -> list[Any]:
    classes = sorted(set(values.tolist()), key=lambda v: (str(type(v)), v))
    if len(classes) == 2:
        if cfg.positive_class is not None:
            if cfg.positive_class not in classes:
                raise cfg.error(
                    "positive_class",
                    f"{cfg.positive_class!r} is not a value of {cfg.target!r} {classes}",
                    f"use one of {classes}",
                )
            positive = cfg.positive_class
        elif classes in ([False, True], [0, 1]):
            positive = classes[1]
        else:
            # Without a hint the rarer class is the interesting one (fraud, churn).
            positive = min(classes, key=lambda c: int((values == c).sum()))
        classes = [c for c in classes if c != positive] + [positive]
    return classes


def encode_target(column: pa.ChunkedArray, cfg: AutomlConfig) -> Target:
    """Decide the task kind and encode the label (classes as 0..k-1, positive last)."""
    arrow_type = column.type
    is_number = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    is_number = is_number or pa.types.is_decimal(arrow_type)
    n_unique = pc.count_distinct(column).as_py()
    task = cfg.task
    if task is None:
        task = (
            "regression"
            if is_number and (not pa.types.is_integer(arrow_type) or n_unique > 20)
            else "classification"
        )
    if task == "regression":
        if not is_number:
            raise TrainingDataError(
                f"dbt-automl: model {cfg.model_name}: task is regression but target "
                f"{cfg.target!r} has type {arrow_type}. Fix: cast it to a number in the "
                "feature model, or set `task: classification`"
            )
        return Target("regression", pc.cast(column, pa.float64()).to_numpy())
    values = np.asarray(column.to_pylist(), dtype=object)
    if n_unique < 2:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: target {cfg.target!r} has a single class "
            f"({values[0]!r}) in {len(values)} rows; a classifier needs two. Fix: check the "
            "feature model's filters and the label logic upstream"
        )
    classes = _classes(values, cfg)
    lookup = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((lookup[v] for v in values), dtype=int, count=len(values))
    return Target("binary" if len(classes) == 2 else "multiclass", y, classes)


def _resolve_metric(cfg: AutomlConfig, kind: str) -> Metric:
    try:
        return metric_for(kind, cfg.metric)
    except KeyError:
        from dbt_automl._tasks import METRICS

        raise ConfigError(
            f"dbt-automl: model {cfg.model_name}, meta.automl.metric: {cfg.metric!r} is not a "
            f"{kind} metric. Fix: use one of {sorted(METRICS[kind])}"
        ) from None


def _folds(
    frame: pd.DataFrame, y: np.ndarray, target: Target, schema: FeatureSchema, seed: int
) -> list:
    stratify = target.kind != "regression"
    if len(y) <= CV_MAX_ROWS:
        splitter = (StratifiedKFold if stratify else KFold)(3, shuffle=True, random_state=seed)
        splits = list(splitter.split(np.zeros(len(y)), y if stratify else None))
    else:
        idx = np.arange(len(y))
        train, valid = train_test_split(
            idx, test_size=0.2, random_state=seed, stratify=y if stratify else None
        )
        splits = [(train, valid)]
    folds = []
    for train, valid in splits:
        pre = build_preprocessor(schema, target.kind, seed)
        X_train = pre.fit_transform(frame.iloc[train], y[train])
        folds.append(Fold(X_train, y[train], pre.transform(frame.iloc[valid]), y[valid]))
    return folds


def fit_automl(table: pa.Table, cfg: AutomlConfig, log: Logger) -> TrainResult:
    """Train the best model the budget allows on ``table`` (features + target + ids).

    Raises:
        TrainingDataError: empty table, single class, or a target the task cannot use.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    # dbt runs models side by side (profile `threads`), so one model takes n_jobs cores
    # (default 1). Oversubscribed OpenMP/BLAS spin instead of computing: 50-100x slower fits
    # were measured with two models on 2 cores. BLAS never helps on these matrix sizes.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        threadpool_limits(limits=cfg.n_jobs if cfg.n_jobs > 0 else None, user_api="openmp"),
        warnings.catch_warnings(),
    ):
        # An unconverged trial is still a valid trial: its score says how good it is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit(table, cfg, log)


def _fit(table: pa.Table, cfg: AutomlConfig, log: Logger) -> TrainResult:
    start = time.perf_counter()
    if table.num_rows == 0:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: the training table has no rows with a "
            f"non-null {cfg.target!r}. Fix: check the upstream feature model and its filters"
        )
    target = encode_target(table[cfg.target], cfg)
    metric = _resolve_metric(cfg, target.kind)
    features = table.drop_columns([cfg.target, *cfg.id_columns, *cfg.exclude])
    schema = infer_schema(features)
    if not schema.columns:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: no usable feature columns "
            f"(dropped: {[(d.name, d.reason) for d in schema.dropped]}). Fix: add features"
        )
    for dropped in schema.dropped:
        log.info(f"{cfg.model_name}: dropping column {dropped.name!r}: {dropped.reason}")
    frame = to_frame(features, schema)
    stratify = target.y if target.kind != "regression" else None
    train_idx, test_idx = train_test_split(
        np.arange(len(target.y)), test_size=cfg.test_size, random_state=cfg.seed, stratify=stratify
    )
    frame_train, y_train = frame.iloc[train_idx], target.y[train_idx]
    log.info(
        f"{cfg.model_name}: {target.kind} on {len(train_idx)} rows x {len(schema.columns)} "
        f"features ({len(test_idx)} held out for test), metric {metric.name}, "
        f"budget {cfg.time_budget_s:.0f}s"
    )
    folds = _folds(frame_train, y_train, target, schema, cfg.seed)
    families = make_families(cfg.families, len(train_idx), cfg.n_jobs)
    elapsed = time.perf_counter() - start
    search = run_search(
        folds,
        families,
        target.kind,
        metric,
        budget_s=max(cfg.time_budget_s - elapsed, 1.0),
        max_trials=cfg.max_trials,
        seed=cfg.seed,
        log=log,
        label=cfg.model_name,
    )
    if not search.family:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: every trial failed within the budget. Fix: "
            "raise meta.automl.time_budget_s or check the features for unusable values"
        )
    threshold = None
    if target.kind == "binary":
        threshold = best_f1_threshold(search.y_valid, search.pred_valid[:, 1])
    model = _refit(frame_train, y_train, schema, target, search, families, cfg, threshold)
    raw_test = model.predict_raw(frame.iloc[test_idx])
    test_metrics = evaluate(target.kind, target.y[test_idx], raw_test, threshold or 0.5)
    log.info(
        f"{cfg.model_name}: best {search.family} (validation {metric.name}="
        f"{search.score:.4f}); test " + ", ".join(f"{k}={v:.4f}" for k, v in test_metrics.items())
    )
    return TrainResult(
        model=model,
        schema=schema,
        target=target,
        metric=metric,
        search=search,
        test_metrics=test_metrics,
        threshold=threshold,
        train_rows=len(train_idx),
        test_rows=len(test_idx),
        duration_s=time.perf_counter() - start,
    )


def _refit(
    frame: pd.DataFrame,
    y: np.ndarray,
    schema: FeatureSchema,
    target: Target,
    search: SearchResult,
    families: dict[str, Family],
    cfg: AutomlConfig,
    threshold: float | None,
) -> AutoMLModel:
    pre = build_preprocessor(schema, target.kind, cfg.seed)
    X = pre.fit_transform(frame, y)
    estimator = families[search.family].build(search.params, target.kind, cfg.seed)
    estimator.fit(X, y)
    return AutoMLModel(pre, estimator, target.kind, target.classes, threshold)


__all__ = ["TrainResult", "fit_automl", "encode_target", "predict"]
