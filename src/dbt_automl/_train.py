"""Fit one AutoML model on an Arrow table: typing, splits, search, ensemble, calibration."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._calibrate import calibration_curve, choose_calibrator
from dbt_automl._config import AutomlConfig
from dbt_automl._ensemble import FoldBagged, WeightedEnsemble, greedy_weights
from dbt_automl._errors import ConfigError, TrainingDataError
from dbt_automl._families import Family, make_families
from dbt_automl._importance import fold_model, permutation_importance, useless, without
from dbt_automl._log import Logger
from dbt_automl._model import AutoMLModel
from dbt_automl._preprocess import (
    FeatureSchema,
    build_preprocessor,
    describe_fitted,
    infer_schema,
    leakage_warnings,
    to_frame,
)
from dbt_automl._search import Candidate, Fold, SearchResult, run_search, score_predictions
from dbt_automl._splits import ValidationPlan, plan_validation
from dbt_automl._target import Target, encode_target
from dbt_automl._tasks import METRICS, Metric, evaluate, metric_for, tune_threshold

REFIT_FULL_MAX_ROWS = 100_000  # above, 20 % more rows barely helps and the refit costs most
# When the search ran on a sample, the refit on every training row costs several fold fits:
# the search leaves this share of the budget to it.
REFIT_RESERVE = 0.15
REFIT_MARGIN_S = 1.0  # after the refit: test predictions, metrics, calibration curve


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
    ensemble: list[dict[str, Any]] = field(default_factory=list)
    decisions: dict[str, Any] = field(default_factory=dict)


def _resolve_metric(cfg: AutomlConfig, kind: str) -> Metric:
    try:
        return metric_for(kind, cfg.metric)
    except KeyError:
        raise ConfigError(
            f"dbt-automl: model {cfg.model_name}, meta.automl.metric: {cfg.metric!r} is not a "
            f"{kind} metric. Fix: use one of {sorted(METRICS[kind])}"
        ) from None


def _column(table: pa.Table, name: str | None, cfg: AutomlConfig, key: str) -> np.ndarray | None:
    if name is None:
        return None
    if name not in table.column_names:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: column {name!r} (meta.automl.{key}) is not "
            f"in the training table. Fix: add it to the feature model or correct {key}"
        )
    column = table[name]
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
    return np.asarray(column.to_pylist(), dtype=object if key == "group_column" else float)


def _prepare_folds(
    frame: pd.DataFrame, y: np.ndarray, splits: list, schema: FeatureSchema, kind: str, seed: int
) -> list[Fold]:
    folds = []
    for train, valid in splits:
        pre = build_preprocessor(schema, kind, seed)
        X_train = pre.fit_transform(frame.iloc[train], y[train])
        folds.append(Fold(X_train, y[train], pre.transform(frame.iloc[valid]), y[valid], pre))
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
    groups = _column(table, cfg.group_column, cfg, "group_column")
    times = _column(table, cfg.time_column, cfg, "time_column")
    dropped = {
        cfg.target,
        *cfg.id_columns,
        *cfg.exclude,
        *([cfg.group_column] * bool(groups is not None)),
    }
    schema = infer_schema(table.drop_columns(sorted(dropped)))
    if not schema.columns:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: no usable feature columns "
            f"(dropped: {[(d.name, d.reason) for d in schema.dropped]}). Fix: add features"
        )
    for gone in schema.dropped:
        log.info(f"{cfg.model_name}: dropping column {gone.name!r}: {gone.reason}")
    frame = to_frame(table, schema)
    plan = plan_validation(
        target.y,
        target.kind != "regression",
        cfg.test_size,
        cfg.seed,
        cfg.search_max_rows,
        cfg.cv_folds,
        groups,
        times,
    )
    train_idx, test_idx, n_folds = plan.train, plan.test, len(plan.folds)
    y_train = target.y[train_idx]
    y_search = y_train[plan.search]
    log.info(
        f"{cfg.model_name}: {target.kind} on {len(train_idx)} rows x {len(schema.columns)} "
        f"features ({len(test_idx)} held out for test, {plan.split}, {plan.describe()} "
        f"validation), metric {metric.name}, budget {cfg.time_budget_s:.0f}s"
    )
    frame_train = frame.iloc[train_idx]
    warnings_found = leakage_warnings(frame_train, y_train, target.kind, schema)
    for message in warnings_found:
        log.warning(f"{cfg.model_name}: {message}")
    frame_search = frame_train.iloc[plan.search]
    folds = _prepare_folds(frame_search, y_search, plan.folds, schema, target.kind, cfg.seed)
    families = make_families(cfg.families, len(train_idx), cfg.n_jobs)
    search = run_search(
        folds,
        families,
        target.kind,
        metric,
        budget_s=max(_search_budget(cfg, plan) - (time.perf_counter() - start), 1.0),
        max_trials=cfg.max_trials,
        seed=cfg.seed,
        log=log,
        label=cfg.model_name,
    )
    if not search.candidates:
        raise TrainingDataError(
            f"dbt-automl: model {cfg.model_name}: every trial failed within the budget. Fix: "
            "raise meta.automl.time_budget_s or check the features for unusable values"
        )
    members, oof, decisions = _select(search, cfg, metric, target.kind)
    decisions["leakage_warnings"] = warnings_found
    decisions["validation"] = {
        "split": plan.split,
        "folds": n_folds // plan.repeats,
        "repeats": plan.repeats,
        "search_rows": len(plan.search),
        "search_s": search.search_s,
    }
    bagged = cfg.bagging and n_folds > 1 and len(plan.search) == len(train_idx)
    schema = _select_features(
        frame_search,
        y_search,
        (folds[0], plan.folds[0]),
        schema,
        target,
        members,
        families,
        metric,
        cfg,
        log,
        decisions,
        allow_drop=n_folds == 1,
    )
    calibrator, threshold = _decide(target, oof, search.y_valid, cfg, metric, decisions)
    if bagged:
        model = _bag(folds, target, members)
        decisions["final_model"] = f"{n_folds} fold models per member, averaged (no refit)"
    else:
        refit_started = time.perf_counter()
        model = _refit(
            frame_train,
            y_train,
            schema,
            target,
            members,
            families,
            cfg,
            _hard_deadline(cfg, start),
            (decisions, log),
        )
        refit_s = time.perf_counter() - refit_started
        decisions["final_model"] = "members refitted on all training rows"
        model = _fold_models_if_cut(model, folds, target, members, decisions)
    model.calibrator, model.threshold = calibrator, threshold
    raw_test = model.predict_raw(frame.iloc[test_idx])
    test_metrics = evaluate(target.kind, target.y[test_idx], raw_test, threshold or 0.5)
    full = not bagged and _refit_full(cfg, target.y)
    # A refit that was already cut at the deadline leaves no time for a second one.
    if full and ("refit_cut" in decisions or _would_overrun(cfg, start, refit_s)):
        decisions["refit_full_skipped"] = (
            f"a second refit (~{refit_s:.0f}s) would exceed the budget"
        )
    elif full:
        # The test rows measured the model; now they also teach it (AutoGluon's refit_full).
        # Reported metrics stay those of the model that never saw them: a conservative bound.
        model = _refit(frame, target.y, schema, target, members, families, cfg)
        model.calibrator, model.threshold = calibrator, threshold
        decisions["final_model"] = "members refitted on all rows, test rows included"
    decisions["preprocessing"] = describe_fitted(
        model.preprocessor or folds[0].preprocessor, schema
    )
    if target.kind == "binary":
        decisions["calibration_curve"] = calibration_curve(target.y[test_idx], raw_test[:, 1])
    log.info(
        f"{cfg.model_name}: {decisions['ensemble']['summary']}; test "
        + ", ".join(f"{k}={v:.4f}" for k, v in test_metrics.items())
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
        ensemble=[{"trial": c.number, "family": c.family, "weight": w} for c, w in members],
        decisions=decisions,
    )


def _select(
    search: SearchResult, cfg: AutomlConfig, metric: Metric, kind: str
) -> tuple[list[tuple[Candidate, float]], np.ndarray, dict[str, Any]]:
    """The members of the final model with weights, and their blended validation predictions."""
    best = search.candidates[0]
    members, score = [(best, 1.0)], best.score
    if cfg.ensemble and len(search.candidates) > 1:
        weights, ens_score = greedy_weights(search.candidates, search.y_valid, metric, kind)
        if len(weights) > 1:
            members = [(search.candidates[i], w) for i, w in sorted(weights.items())]
            score = ens_score
    oof = np.sum([w * c.pred for c, w in members], axis=0)
    names = "+".join(f"{c.family}#{c.number + 1}:{w:.2f}" for c, w in members)
    summary = (
        f"ensemble {names} (validation {metric.name}={score:.4f}, best single {best.score:.4f})"
        if len(members) > 1
        else f"best {best.family} (validation {metric.name}={best.score:.4f})"
    )
    decisions = {
        "ensemble": {
            "members": names,
            "score": score,
            "best_single": best.score,
            "summary": summary,
        }
    }
    return members, oof, decisions


def _select_features(
    frame: pd.DataFrame,
    y: np.ndarray,
    fold: tuple[Fold, tuple[np.ndarray, np.ndarray]],
    schema: FeatureSchema,
    target: Target,
    members: list[tuple[Candidate, float]],
    families: dict[str, Family],
    metric: Metric,
    cfg: AutomlConfig,
    log: Logger,
    decisions: dict[str, Any],
    allow_drop: bool,
) -> FeatureSchema:
    """Record permutation importances; drop columns that never helped if that costs nothing.

    Importance is measured with the heaviest member's first-fold model, as fitted in the
    search (no extra fit). Columns are dropped only with holdout validation (large tables:
    enough rows for the evidence) and only when a refit without them scores no worse.
    """
    best = max(members, key=lambda m: m[1])[0]
    data, (train, valid) = fold
    model = AutoMLModel(data.preprocessor, best.fold_models[0], target.kind)
    base = score_predictions(metric, target.kind, y[valid], model.predict_raw(frame.iloc[valid]))
    importance = permutation_importance(
        model, frame.iloc[valid], y[valid], metric, target.kind, cfg.seed, schema.names()
    )
    decisions["feature_importance"] = importance
    drop = useless(importance)
    selection: dict[str, Any] = {"dropped": [], "candidates": drop}
    decisions["feature_selection"] = selection
    if not allow_drop:
        selection["skipped"] = "cross-validated small table: one fold is too noisy to drop on"
        return schema
    if not cfg.feature_selection or not drop or len(drop) == len(schema.columns):
        return schema
    reduced = without(schema, drop, "no permutation importance on validation (selection)")
    family = families[best.family]
    refit = fold_model(frame, y, train, reduced, target.kind, family, best.params, cfg.seed)
    score = score_predictions(
        metric, target.kind, y[valid], refit.predict_raw(frame.iloc[valid][reduced.names()])
    )
    sign = 1 if metric.greater_is_better else -1
    selection.update(fold_score_all=base, fold_score_selected=score)
    if sign * score < sign * base - 1e-4:
        return schema
    selection["dropped"] = drop
    log.info(f"{cfg.model_name}: dropping {len(drop)} columns with no importance: {drop}")
    return reduced


def _decide(
    target: Target,
    oof: np.ndarray,
    y_valid: np.ndarray,
    cfg: AutomlConfig,
    metric: Metric,
    decisions: dict[str, Any],
) -> tuple[Any, float | None]:
    """Calibrator and binary threshold, both chosen on out-of-fold predictions."""
    calibrator = None
    if cfg.calibrate and target.kind != "regression":
        calibrator, decisions["calibration"] = choose_calibrator(target.kind, oof, y_valid)
        if calibrator is not None:
            oof = calibrator.transform(oof)
    if target.kind != "binary":
        return calibrator, None
    threshold, why = tune_threshold(y_valid, oof[:, 1], metric.name, cfg.costs)
    decisions["threshold"] = {"value": threshold, "reason": why}
    return calibrator, threshold


def _search_budget(cfg: AutomlConfig, plan: ValidationPlan) -> float:
    """Seconds for the search: all the budget, less the refit's share after a sampled search."""
    sampled = len(plan.search) < len(plan.train)
    return cfg.time_budget_s * (1 - REFIT_RESERVE * sampled)


def _limit_s(cfg: AutomlConfig) -> float:
    """Seconds the whole fit may take: the budget + 10 % + 3 s."""
    return 1.1 * cfg.time_budget_s + 3


def _hard_deadline(cfg: AutomlConfig, start: float) -> float:
    """The ``time.monotonic()`` by which refits must stop: the whole fit ends within
    :func:`_limit_s`, less a margin for the test metrics."""
    left = _limit_s(cfg) - (time.perf_counter() - start) - REFIT_MARGIN_S
    return time.monotonic() + left


def _would_overrun(cfg: AutomlConfig, start: float, refit_s: float) -> bool:
    # The full refit costs about what the first refit did, on 25 % more rows.
    projected = time.perf_counter() - start + 1.25 * refit_s
    return projected > _limit_s(cfg)


def _fold_models_if_cut(
    model: AutoMLModel,
    folds: list[Fold],
    target: Target,
    members: list[tuple[Candidate, float]],
    decisions: dict[str, Any],
) -> AutoMLModel:
    """The search's fold models, averaged, in place of a refit cut at the deadline.

    A boosting model stopped after a fraction of its rounds has compressed probabilities, so
    the threshold and calibration tuned out of fold no longer fit it (the demo's fraud model
    once fell under its recall test that way). The fold models are complete, and they are
    the very models those out-of-fold predictions came from.
    """
    if "refit_cut" not in decisions:
        return model
    if decisions.get("feature_selection", {}).get("dropped"):
        # The fold preprocessors expect the columns that feature selection dropped since,
        # and scoring no longer passes them: the cut refit stays.
        return model
    decisions["final_model"] = (
        "the search's fold models, averaged: the refit on all rows ran out of time"
    )
    return _bag(folds, target, members)


def _refit_full(cfg: AutomlConfig, y: np.ndarray) -> bool:
    if cfg.refit_full == "auto":
        return len(y) <= REFIT_FULL_MAX_ROWS
    return bool(cfg.refit_full)


def _bag(folds: list[Fold], target: Target, members: list[tuple[Candidate, float]]) -> AutoMLModel:
    """The members' fold models as fitted in the search, averaged over folds."""
    estimator = FoldBagged(
        [fold.preprocessor for fold in folds],
        [candidate.fold_models for candidate, _ in members],
        [weight for _, weight in members],
        target.kind,
    )
    return AutoMLModel(None, estimator, target.kind, target.classes)


def _refit(
    frame: pd.DataFrame,
    y: np.ndarray,
    schema: FeatureSchema,
    target: Target,
    members: list[tuple[Candidate, float]],
    families: dict[str, Family],
    cfg: AutomlConfig,
    deadline: float = float("inf"),
    report: tuple[dict[str, Any], Logger] | None = None,
) -> AutoMLModel:
    """Refit preprocessing and every member on ``frame``, heaviest member first.

    At ``deadline`` boosting rounds and trees stop growing, and members not yet started are
    left out (the others' weights are renormalised); ``report`` (decisions, log) records it
    as ``decisions['refit_cut']`` and a warning.
    """
    pre = build_preprocessor(schema, target.kind, cfg.seed)
    X = pre.fit_transform(frame, y)
    fitted, weights, skipped = [], [], []
    for candidate, weight in sorted(members, key=lambda m: -m[1]):
        label = f"{candidate.family}#{candidate.number + 1}"
        if fitted and time.monotonic() > deadline:
            skipped.append(label)
            continue
        family = families[candidate.family]
        estimator = family.build(candidate.params, target.kind, cfg.seed)
        family.fit(estimator, X, y, deadline=deadline)
        fitted.append(estimator)
        weights.append(weight)
    if time.monotonic() > deadline and report is not None:
        decisions, log = report
        decisions["refit_cut"] = (
            "the refit reached the time budget (+10 % + 3 s): boosting rounds and trees "
            "stopped there" + (f"; members left out: {', '.join(skipped)}" if skipped else "")
        )
        log.warning(f"{cfg.model_name}: {decisions['refit_cut']}")
    if len(fitted) == 1:
        estimator = fitted[0]
    else:
        total = sum(weights)
        estimator = WeightedEnsemble(fitted, [w / total for w in weights], target.kind)
    return AutoMLModel(pre, estimator, target.kind, target.classes)
