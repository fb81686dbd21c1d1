"""The recommendation engine: interactions -> nested time-ordered holdouts -> candidates
searched on the inner one -> the chosen measured against popularity on the outer one ->
refit on every interaction.

Two holdouts keep the reported figures free of the choice (as forecasting's
leave-one-window-out does): the *test* holdout is each user's latest ``holdout`` share of
interactions; the *validation* holdout is the latest share of what remains. Candidates and
their hyperparameters are compared on validation only; the chosen one and popularity are
then refitted on everything before the test holdout and measured on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.errors import TrainingDataError
from dbt_automl.recommendation._candidates import FAMILIES, one_thread, popularity
from dbt_automl.recommendation._config import METRICS, RecommendConfig
from dbt_automl.recommendation._data import Interactions, prepare_interactions, split_holdout
from dbt_automl.recommendation._evaluate import Holdout, evaluate
from dbt_automl.recommendation._model import RecommendModel
from dbt_automl.recommendation._search import Search, Trial

# Fewest users with validation interactions for the choice to be made on validation; below
# it the choice is made on the test holdout, and the decisions say the metrics are optimistic.
MIN_VALIDATION_USERS = 10


@dataclass
class RecommendResult:
    """A trained recommender and what its test holdout says about it."""

    model: RecommendModel
    metrics: dict[str, float]
    leaderboard: list[dict[str, Any]]
    decisions: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    n_rows: int = 0
    # (candidate, params) -> test metrics of that recipe refitted on this run's training
    # part: how a champion's recipe is judged on the same held-out interactions.
    evaluate_recipe: Callable[[str, dict[str, Any]], dict[str, float]] | None = None


def train_recommender(table: pa.Table, cfg: RecommendConfig, log: Logger) -> RecommendResult:
    """Search the candidates on ``table``'s interactions, measure the chosen against
    popularity on the latest interactions, refit it on all of them.

    Raises:
        TrainingDataError: the table cannot train a recommender (see
            :func:`prepare_interactions`), or no user has two interactions to hold one out.
    """
    started = time.perf_counter()
    data = prepare_interactions(table, cfg, log)
    train, test = split_holdout(data, data.frame, cfg.holdout, cfg.seed)
    outer = Holdout.of(train, test, data.shape)
    if len(outer.users) == 0:
        raise TrainingDataError(
            f"no user has two or more interactions ({data.shape[0]} users, "
            f"{len(data.frame)} interactions): nothing can be held out to evaluate",
            "train on a longer history, or on users with repeated interactions",
            model=cfg.model_name,
            column=cfg.user_column,
        )
    inner_train, valid = split_holdout(data, train, cfg.holdout, cfg.seed + 1)
    inner = Holdout.of(inner_train, valid, data.shape)
    honest = len(inner.users) >= MIN_VALIDATION_USERS
    search_frame, search_holdout = (inner_train, inner) if honest else (train, outer)
    _log_start(data, outer, inner, honest, cfg, log)
    with one_thread():
        search = Search(cfg, log, started + cfg.time_budget_s)
        trials = search.run(data.matrix(search_frame), search_holdout)
        best = _choose(trials, cfg.metric)
        metrics = _test_metrics(data, train, outer, best, cfg)
        model = _final_model(data, best, cfg)
    _log_result(best, metrics, cfg, log)
    return RecommendResult(
        model=model,
        metrics=metrics,
        leaderboard=[t.row(chosen=t is best) for t in trials],
        decisions=_decisions(data, test, outer, inner, honest, search, best, cfg),
        duration_s=time.perf_counter() - started,
        n_rows=data.n_rows,
        evaluate_recipe=partial(_recipe_metrics, data, train, outer, cfg),
    )


def _recipe_metrics(
    data: Interactions,
    train: pd.DataFrame,
    outer: Holdout,
    cfg: RecommendConfig,
    candidate: str,
    params: dict[str, Any],
) -> dict[str, float]:
    """A candidate with ``params`` fitted on the interactions before the test holdout and
    measured on it, as the chosen candidate is."""
    with one_thread():
        scorer = FAMILIES[candidate].fit(data.matrix(train), params, cfg.seed)
        return evaluate(scorer, outer, cfg.n, cfg.exclude_seen)


def _final_model(data: Interactions, best: Trial, cfg: RecommendConfig) -> RecommendModel:
    """The chosen candidate refitted on every interaction."""
    everything = data.matrix()
    return RecommendModel(
        model_name=cfg.model_name,
        candidate=best.candidate,
        params=best.params,
        n=cfg.n,
        exclude_seen=cfg.exclude_seen,
        users=data.users,
        items=data.items,
        user_type=data.user_type,
        item_type=data.item_type,
        seen=everything,
        scorer=FAMILIES[best.candidate].fit(everything, best.params, cfg.seed),
        popular=popularity(everything),
    )


WINNERS_CURSE_SE = 2.0


def _choose(trials: list[Trial], metric: str) -> Trial:
    """The best trial by ``metric`` on validation; ties go to the earlier (cheaper) one.

    The best of many trials is flattered by chance (the winner's curse), so it replaces
    popularity only when it beats it by more than two standard errors of popularity's
    validation mean (the expected best of 20 pure-noise trials is about 1.9 standard errors
    up): otherwise the floor is the honest choice. One standard error was not enough: on
    the small demo ALS won validation by more than one, then lost to popularity on the test
    holdout (0.539 vs 0.549) and failed the build.
    """
    scored = [t for t in trials if np.isfinite(t.metrics.get(metric, np.nan))]
    popular = trials[0]  # popularity, fitted first whatever happens
    if not scored:
        return popular
    best = max(scored, key=lambda t: (t.metrics[metric], -trials.index(t)))
    margin = WINNERS_CURSE_SE * popular.metrics.get(f"{metric}_se", 0.0)
    if best is not popular and best.metrics[metric] <= popular.metrics[metric] + margin:
        return popular
    return best


def _test_metrics(
    data: Interactions, train: pd.DataFrame, outer: Holdout, best: Trial, cfg: RecommendConfig
) -> dict[str, float]:
    """The chosen candidate and popularity, refitted on everything before the test holdout,
    measured on it; plus the sizes."""
    strength = data.matrix(train)
    chosen = evaluate(
        FAMILIES[best.candidate].fit(strength, best.params, cfg.seed),
        outer,
        cfg.n,
        cfg.exclude_seen,
    )
    floor = evaluate(
        FAMILIES["popularity"].fit(strength, {}, cfg.seed), outer, cfg.n, cfg.exclude_seen
    )
    pop = floor["precision_at_n"]
    return {
        **{m: chosen[m] for m in METRICS},
        **{f"popularity_{m}": floor[m] for m in METRICS},
        "lift_over_popularity": chosen["precision_at_n"] / pop if pop > 0 else float("nan"),
        "coverage": chosen["coverage"],
        "n_users": float(data.shape[0]),
        "n_items": float(data.shape[1]),
        "n_interactions": float(len(data.frame)),
        "n_evaluated_users": float(len(outer.users)),
    }


def _log_start(
    data: Interactions,
    outer: Holdout,
    inner: Holdout,
    honest: bool,
    cfg: RecommendConfig,
    log: Logger,
) -> None:
    users, items = data.shape
    by = f"latest by {cfg.time_column}" if data.by_time else f"drawn at random (seed {cfg.seed})"
    log.info(
        f"{cfg.model_name}: {len(data.frame)} interactions of {users} users with {items} items; "
        f"test holdout: each user's {cfg.holdout:.0%} {by}, {len(outer.users)} users evaluated; "
        + (
            f"candidates compared on a validation holdout of {len(inner.users)} users"
            if honest
            else f"only {len(inner.users)} users left for validation: candidates compared on "
            "the test holdout (its metrics are then optimistic)"
        )
        + f"; budget {cfg.time_budget_s:.0f}s"
    )


def _log_result(best: Trial, metrics: dict[str, float], cfg: RecommendConfig, log: Logger) -> None:
    log.info(
        f"{cfg.model_name}: chose {best.candidate} {best.params}; on the test holdout "
        f"precision@{cfg.n} {metrics['precision_at_n']:.4f} (popularity "
        f"{metrics['popularity_precision_at_n']:.4f}, lift "
        f"{metrics['lift_over_popularity']:.2f}), recall@{cfg.n} {metrics['recall_at_n']:.4f}, "
        f"NDCG@{cfg.n} {metrics['ndcg_at_n']:.4f}, coverage {metrics['coverage']:.0%}"
    )


def _decisions(
    data: Interactions,
    test: pd.DataFrame,
    outer: Holdout,
    inner: Holdout,
    honest: bool,
    search: Search,
    best: Trial,
    cfg: RecommendConfig,
) -> dict[str, Any]:
    return {
        "interactions": {**data.notes, "input_rows": data.n_rows, "pairs": len(data.frame)},
        "strength": "log1p(weight) per (user, item), weights summed over repeated rows: "
        "spend and counts are heavy-tailed, and a log keeps one big interaction from "
        "swamping a user's others; ALS confidence 1 + alpha * strength (alpha searched), "
        "BPR reads only whether a pair exists, item_knn cosine on the strength",
        "holdout": {
            "order": f"latest by {cfg.time_column}" if data.by_time else "random",
            "share": cfg.holdout,
            "test_interactions": len(test),
            "evaluated_users": len(outer.users),
            "not_evaluated_users": int(data.shape[0] - len(outer.users)),
        },
        "selection": {
            "on": "validation (each user's latest share of the training part)"
            if honest
            else "test holdout: too few users for validation; test metrics are optimistic",
            "validation_users": len(inner.users),
            "metric": cfg.metric,
        },
        "search": search.summary(),
        "chosen": {"candidate": best.candidate, "params": best.params},
        "exclude_seen": cfg.exclude_seen,
        "cold_start": "users not seen in training get the most popular items (source popular)",
    }
