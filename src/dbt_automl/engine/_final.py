"""The last stages: the final model (refit or fold models), its test metrics, the full refit.

The whole fit ends within the budget + 10 % + 3 s: refits stop growing rounds and trees at
that deadline, and a refit cut there is replaced by the search's complete fold models.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from dbt_automl._model import AutoMLModel
from dbt_automl.engine._choose import cost_budget
from dbt_automl.engine._state import TrainState
from dbt_automl.preprocess import build_preprocessor, describe_fitted
from dbt_automl.search import FoldBagged, WeightedEnsemble
from dbt_automl.tasks._curves import EXPLANATION_REFERENCE, shares_at

REFIT_FULL_MAX_ROWS = 100_000  # above, 20 % more rows barely helps and the refit costs most
REFIT_MARGIN_S = 1.0  # after the refit: test predictions, metrics, calibration curve
# The final model's cost is timed on this many rows: scoring batches are larger still, so a
# smaller sample would count scikit-learn's per-call overhead as per-row cost.
SCORING_COST_ROWS = 10_000


def limit_s(state: TrainState) -> float:
    """Seconds the whole fit may take: the budget + 10 % + 3 s."""
    return 1.1 * state.cfg.time_budget_s + 3


def hard_deadline(state: TrainState) -> float:
    """The ``time.monotonic()`` by which refits must stop: the whole fit ends within
    :func:`limit_s`, less a margin for the test metrics."""
    return time.monotonic() + limit_s(state) - state.elapsed - REFIT_MARGIN_S


def would_overrun(state: TrainState) -> bool:
    """Whether a second refit (about the first's time, on 25 % more rows) passes the limit."""
    return state.elapsed + 1.25 * state.refit_s > limit_s(state)


def final_model(state: TrainState) -> None:
    """The model scoring will use: the members refitted on all training rows, or their fold
    models averaged (``bagging``, or when the refit ran out of time)."""
    plan = state.plan
    state.refit_s = 0.0
    state.bagged = (
        state.cfg.bagging and len(plan.folds) > 1 and len(plan.search) == len(plan.train)
    )
    if state.bagged:
        state.model = _bag(state)
        state.decisions["final_model"] = (
            f"{len(plan.folds)} fold models per member, averaged (no refit)"
        )
    else:
        started = time.perf_counter()
        state.model = _refit(state, state.frame_train, state.y_train, hard_deadline(state))
        state.refit_s = time.perf_counter() - started
        state.decisions["final_model"] = "members refitted on all training rows"
        _fold_models_if_cut(state)
    state.model.calibrator = state.decision.calibrator
    state.model.threshold = state.decision.threshold


def evaluate(state: TrainState) -> None:
    """Metrics of the final model on the test split the search never saw."""
    test = state.plan.test
    raw = state.model.predict_raw(state.frame.iloc[test])
    y = state.target.y[test]
    state.test_raw = raw  # honest predictions: a champion is judged against them
    state.test_metrics = state.task.evaluate(y, raw, state.decision.threshold)
    state.decisions.update(
        state.task.curves(y, raw, state.decision.threshold, state.target.classes)
    )


def refit_full(state: TrainState) -> None:
    """Refit the members on every row, test rows included (``refit_full``), time allowing.

    The test rows measured the model; now they also teach it (AutoGluon's refit_full).
    Reported metrics stay those of the model that never saw them: a conservative bound.
    """
    cfg, decisions = state.cfg, state.decisions
    if cfg.refit_full == "auto":
        wanted = len(state.target.y) <= REFIT_FULL_MAX_ROWS
    else:
        wanted = bool(cfg.refit_full)
    if state.bagged or not wanted:
        return
    # A refit that was already cut at the deadline leaves no time for a second one.
    if "refit_cut" in decisions or would_overrun(state):
        decisions["refit_full_skipped"] = (
            f"a second refit (~{state.refit_s:.0f}s) would exceed the budget"
        )
        return
    state.model = _refit(state, state.frame, state.target.y)
    state.model.calibrator = state.decision.calibrator
    state.model.threshold = state.decision.threshold
    decisions["final_model"] = "members refitted on all rows, test rows included"
    decisions["trained_on_test_rows"] = True


def describe(state: TrainState) -> None:
    """Record what the final preprocessing decided per column, and log the outcome."""
    fitted = state.model.preprocessor
    if fitted is None:  # fold models bring their own preprocessing: describe the first
        fitted = state.folds[0].preprocessor
    state.decisions["preprocessing"] = describe_fitted(fitted, state.schema)
    state.decisions["scoring"] = _scoring_cost(state)
    state.decisions[EXPLANATION_REFERENCE] = _explanation_reference(state)
    _fit_distribution(state)
    state.info(
        f"{state.decisions['ensemble']['summary']}; test "
        + ", ".join(f"{k}={v:.4f}" for k, v in state.test_metrics.items())
        + f"; predicts {state.decisions['scoring']['expected_rows_per_s']:,.0f} rows/s a core"
    )


def _scoring_cost(state: TrainState) -> dict[str, float]:
    """What a row costs the final model on the scoring path (Arrow in, preprocessing
    included), in CPU microseconds, timed on a scoring-sized batch of test rows."""
    rows = state.table.take(np.resize(state.plan.test, SCORING_COST_ROWS))
    started = time.process_time()
    state.model.predict_raw_arrow(rows, state.schema)
    cost = max((time.process_time() - started) / rows.num_rows * 1e6, 1e-3)
    return {"predict_us_per_row": cost, "expected_rows_per_s": 1e6 / cost}


def _explanation_reference(state: TrainState) -> dict[str, Any]:
    """The mean of the encoded training rows (a sample), per preprocessor of the final
    model: what linear and model-agnostic contributions are measured from."""
    rows = state.table.take(_sample(np.arange(state.table.num_rows), state.cfg.seed))
    transforms = state.model.arrow(state.schema).transforms
    return {
        "rows": rows.num_rows,
        "means": [t.transform(rows).mean(axis=0).tolist() for t in transforms],
    }


def _fit_distribution(state: TrainState) -> None:
    """The final model's predictions on the rows it trained on (a sample), in the test
    split's prediction bins: ``fit_shares`` beside ``shares``.

    A model is surer of rows it learned from than of new ones, so scoring the training
    rows again (a churn model scores every customer, most of them trained on) moves the
    predictions away from the test split's without anything having drifted. Drift compares
    the scores of those rows with these shares instead (:mod:`dbt_automl.dbt._drift`).
    The rows are those ``rows.npy`` lists: every row after a full refit, else the rows
    outside the test split.
    """
    distribution = state.decisions.get("prediction_distribution")
    if not distribution:
        return
    rows = np.arange(state.table.num_rows)
    if not state.decisions.get("trained_on_test_rows"):
        rows = np.setdiff1d(rows, state.plan.test)
    rows = _sample(rows, state.cfg.seed)
    if len(rows) == 0:
        return
    raw = state.model.predict_raw(state.frame.iloc[rows])
    distribution["fit_shares"] = shares_at(distribution, raw)
    distribution["fit_rows"] = int(len(rows))


def _sample(rows: np.ndarray, seed: int) -> np.ndarray:
    """At most SCORING_COST_ROWS of ``rows``, drawn with ``seed``, in order."""
    if len(rows) <= SCORING_COST_ROWS:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, SCORING_COST_ROWS, replace=False))


def _fold_models_if_cut(state: TrainState) -> None:
    """The search's fold models, averaged, in place of a refit cut at the deadline.

    A boosting model stopped after a fraction of its rounds has compressed probabilities, so
    the threshold and calibration tuned out of fold no longer fit it (the demo's fraud model
    once fell under its recall test that way). The fold models are complete, and they are
    the very models those out-of-fold predictions came from.
    """
    if "refit_cut" not in state.decisions:
        return
    selection = state.decisions.get("feature_selection", {})
    if selection.get("dropped") and state.unselected is not None:
        # The fold models were fitted before feature selection: they read every column, so
        # scoring passes them all again. A cut refit kept instead lost the fraud model's
        # recall (0.0 against the 0.05 its test asks, default demo, 2026-12-03).
        selection["restored"] = selection.pop("dropped")
        selection["dropped"] = []
        selection["why_restored"] = "the refit ran out of time; the fold models read every column"
        state.schema = state.unselected
    state.decisions["final_model"] = (
        "the search's fold models, averaged: the refit on all rows ran out of time"
    )
    state.model = _bag(state)


def _bag(state: TrainState) -> AutoMLModel:
    """The members' fold models as fitted in the search, averaged over folds: as many folds
    as the prediction-cost budget allows (each fold model costs what its member does)."""
    folds = len(state.folds)
    budget = cost_budget(state)
    member_cost = sum(candidate.cost_us for candidate, _ in state.members)
    if budget is not None and member_cost * folds > budget:
        folds = max(1, min(folds, int(budget // max(member_cost, 1e-9))))
        state.decisions["fold_models_used"] = (
            f"{folds} of {len(state.folds)} folds: {member_cost:.1f} us a row per fold, "
            f"budget {budget:.1f} us"
        )
    estimator = FoldBagged(
        [fold.preprocessor for fold in state.folds[:folds]],
        [candidate.fold_models[:folds] for candidate, _ in state.members],
        [weight for _, weight in state.members],
    )
    return AutoMLModel(None, estimator, state.task, state.target.classes)


def _refit(
    state: TrainState, frame: pd.DataFrame, y: np.ndarray, deadline: float = float("inf")
) -> AutoMLModel:
    """Refit preprocessing and every member on ``frame``, heaviest member first.

    At ``deadline`` boosting rounds and trees stop growing, and members not yet started are
    left out (the others' weights are renormalised); ``decisions['refit_cut']`` and a
    warning say so.
    """
    task, seed = state.task, state.cfg.seed
    pre = build_preprocessor(state.schema, task, seed)
    X = pre.fit_transform(frame, y)
    fitted: list[tuple[Any, float]] = []
    skipped = []
    for candidate, weight in sorted(state.members, key=lambda m: -m[1]):
        if fitted and time.monotonic() > deadline:
            skipped.append(candidate.label)
            continue
        family = state.families[candidate.family]
        estimator = family.build(candidate.params, task, seed)
        family.fit(estimator, X, y, deadline=deadline)
        fitted.append((estimator, weight))
    if time.monotonic() > deadline:
        state.decisions["refit_cut"] = (
            "the refit reached the time budget (+10 % + 3 s): boosting rounds and trees "
            "stopped there" + (f"; members left out: {', '.join(skipped)}" if skipped else "")
        )
        state.warn(state.decisions["refit_cut"])
    if len(fitted) == 1:
        return AutoMLModel(pre, fitted[0][0], task, state.target.classes)
    total = sum(w for _, w in fitted)
    ensemble = WeightedEnsemble([e for e, _ in fitted], [w / total for _, w in fitted])
    return AutoMLModel(pre, ensemble, task, state.target.classes)
