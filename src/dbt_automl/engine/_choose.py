"""The middle stages: search, ensemble, feature selection and the decision rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from dbt_automl._model import AutoMLModel
from dbt_automl.engine._state import Member, TrainState
from dbt_automl.errors import TrainingDataError
from dbt_automl.search import (
    Study,
    fold_model,
    greedy_weights,
    permutation_importance,
    useless,
    without,
)

# When the search ran on a sample, the refit on every training row costs several fold fits:
# the search leaves this share of the budget to it.
REFIT_RESERVE = 0.15
# max_predict_us_per_row: auto: a model may cost this many CPU microseconds a row (100k
# rows/s on one core, the demo's fraud model scored through dbt build included)...
AUTO_COST_US = 10.0
# ...relaxed on small tables, as long as scoring the training table itself takes at most
# this many CPU microseconds (2 s): there, kNN and kernel models earn their cost.
AUTO_TABLE_COST_US = 2_000_000.0


def cost_budget(state: TrainState) -> float | None:
    """CPU microseconds a row may cost the final model to predict (None: no budget)."""
    setting = state.cfg.max_predict_us_per_row
    if setting == "auto":
        return max(AUTO_COST_US, AUTO_TABLE_COST_US / len(state.plan.train))
    return None if setting is None else float(setting)


def search_budget(state: TrainState) -> float:
    """Seconds for the search: all the budget, less the refit's share after a sampled search."""
    sampled = len(state.plan.search) < len(state.plan.train)
    return state.cfg.time_budget_s * (1 - REFIT_RESERVE * sampled)


def search(state: TrainState) -> None:
    """Run the study on the fold matrices under what is left of the budget."""
    cfg = state.cfg
    cost = cost_budget(state)
    state.decisions["scoring_budget"] = {"setting": cfg.max_predict_us_per_row, "us_per_row": cost}
    study = Study(
        state.task, state.metric, state.families, cfg.seed, state.log, cfg.model_name, cost
    )
    budget = max(search_budget(state) - state.elapsed, 1.0)
    state.search = study.run(state.folds, budget, cfg.max_trials)
    if not state.search.candidates and state.search.over_budget:
        _fall_back_to_the_cheapest(state)
    if not state.search.candidates:
        raise TrainingDataError(
            "every trial failed within the budget",
            "raise meta.automl.time_budget_s or check the features for unusable values",
            model=cfg.model_name,
        )
    plan = state.plan
    state.decisions["validation"] = {
        "split": plan.split,
        "folds": len(plan.folds) // plan.repeats,
        "repeats": plan.repeats,
        "search_rows": len(plan.search),
        "search_s": state.search.search_s,
    }


def _fall_back_to_the_cheapest(state: TrainState) -> None:
    cheapest = state.search.over_budget[0]
    state.search.candidates = [cheapest]
    budget = state.decisions["scoring_budget"]
    budget["fallback"] = (
        f"no trial predicted within {budget['us_per_row']:.1f} us a row; the cheapest, "
        f"{cheapest.label} at {cheapest.cost_us:.1f} us, is used"
    )
    state.warn(
        f"{budget['fallback']} (raise meta.automl.max_predict_us_per_row, or set it to null)"
    )


def ensemble(state: TrainState) -> None:
    """The members of the final model with weights, and their blended validation predictions.

    A greedy weighted ensemble (Caruana) replaces the best single trial when it scores
    better out of fold (``meta.automl.ensemble``).
    """
    found, metric = state.search, state.metric
    best = found.best
    members: list[Member] = [(best, 1.0)]
    score = best.score
    if state.cfg.ensemble and len(found.candidates) > 1:
        weights, blended = greedy_weights(
            found.candidates, found.y_valid, metric, state.task, cost_budget(state)
        )
        if len(weights) > 1:
            members = [(found.candidates[i], w) for i, w in sorted(weights.items())]
            score = blended
    state.members = members
    state.oof = np.sum([w * c.pred for c, w in members], axis=0)
    names = "+".join(f"{c.label}:{w:.2f}" for c, w in members)
    summary = (
        f"ensemble {names} (validation {metric.name}={score:.4f}, best single {best.score:.4f})"
        if len(members) > 1
        else f"best {best.family} (validation {metric.name}={best.score:.4f})"
    )
    state.decisions["ensemble"] = {
        "members": names,
        "score": score,
        "best_single": best.score,
        "summary": summary,
        "predict_us_per_row": sum(c.cost_us for c, _ in members),
    }


def select_features(state: TrainState) -> None:
    """Record permutation importances; drop columns that never helped if that costs nothing.

    Importance is measured with the heaviest member's first-fold model, as fitted in the
    search (no extra fit). Columns are dropped only with holdout validation (large tables:
    enough rows for the evidence) and only when a refit without them scores no worse.
    """
    best = max(state.members, key=lambda m: m[1])[0]
    frame, y, (train, valid) = state.frame_search, state.y_search, state.plan.folds[0]
    model = AutoMLModel(state.folds[0].preprocessor, best.fold_models[0], state.task)
    importance = permutation_importance(
        model, frame.iloc[valid], y[valid], state.metric, state.cfg.seed, state.schema.names()
    )
    state.decisions["feature_importance"] = importance
    drop = useless(importance)
    selection: dict[str, Any] = {"dropped": [], "candidates": drop}
    state.decisions["feature_selection"] = selection
    if len(state.plan.folds) > 1:
        selection["skipped"] = "cross-validated small table: one fold is too noisy to drop on"
        return
    if not state.cfg.feature_selection or not drop or len(drop) == len(state.schema.columns):
        return
    base = state.task.score(state.metric, y[valid], model.predict_raw(frame.iloc[valid]))
    reduced = without(state.schema, drop, "no permutation importance on validation (selection)")
    family = state.families[best.family]
    refit = fold_model(
        frame.iloc[train], y[train], reduced, family, best.params, state.task, state.cfg.seed
    )
    score = state.task.score(
        state.metric, y[valid], refit.predict_raw(frame.iloc[valid][reduced.names()])
    )
    selection.update(fold_score_all=base, fold_score_selected=score)
    if state.metric.sign * score < state.metric.sign * base - 1e-4:
        return
    selection["dropped"] = drop
    state.info(f"dropping {len(drop)} columns with no importance: {drop}")
    state.unselected = state.schema
    state.schema = reduced


def decide(state: TrainState) -> None:
    """The task's decision rule (calibration, threshold), chosen on out-of-fold predictions."""
    state.decision = state.task.decide(state.oof, state.search.y_valid, state.metric, state.cfg)
    state.decisions.update(state.decision.record)
