"""The optuna study across model families and hyperparameters, under a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dbt_automl._families import Family
from dbt_automl._log import Logger
from dbt_automl._tasks import Metric, best_f1_threshold


@dataclass
class Fold:
    """Preprocessed training and validation matrices of one split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray


@dataclass
class TrialRecord:
    """One trial of the leaderboard."""

    number: int
    family: str
    params: dict[str, Any]
    score: float | None
    fit_s: float
    predict_s: float
    state: str
    warm_start: bool = False


@dataclass
class SearchResult:
    """The winner, every trial, and the winner's validation predictions."""

    family: str
    params: dict[str, Any]
    score: float
    trials: list[TrialRecord] = field(default_factory=list)
    y_valid: np.ndarray | None = None
    pred_valid: np.ndarray | None = None


def predict(estimator: Any, X: np.ndarray, kind: str) -> np.ndarray:
    """Probabilities for classification, values for regression."""
    if kind == "regression":
        return np.asarray(estimator.predict(X), dtype=float)
    return np.asarray(estimator.predict_proba(X), dtype=float)


def score_predictions(metric: Metric, kind: str, y: np.ndarray, pred: np.ndarray) -> float:
    """The metric on validation predictions; F1 is taken at its best threshold."""
    threshold = 0.5
    if kind == "binary" and metric.name == "f1":
        threshold = best_f1_threshold(y, pred[:, 1])
    return float(metric.fn(y, pred, threshold))


class _Objective:
    """Callable optuna objective that also keeps the best trial's validation predictions."""

    def __init__(
        self, folds: list[Fold], families: dict[str, Family], kind: str, metric: Metric, seed: int
    ) -> None:
        self.folds, self.families, self.kind, self.metric, self.seed = (
            folds,
            families,
            kind,
            metric,
            seed,
        )
        self.deadline = float("inf")
        self.warmed: set[str] = set()
        self.best: tuple[float, np.ndarray, np.ndarray] | None = None

    def __call__(self, trial: Any) -> float:
        import optuna

        name = trial.suggest_categorical("family", list(self.families))
        family = self.families[name]
        if name not in self.warmed:
            # The first trial of each family is its known-good default (warm start).
            self.warmed.add(name)
            params = family.default(self.kind)
            trial.set_user_attr("warm_start", True)
        else:
            params = family.suggest(trial, self.kind)
        trial.set_user_attr("params", params)
        fit_s = predict_s = 0.0
        preds, ys = [], []
        for step, fold in enumerate(self.folds):
            if time.monotonic() > self.deadline and self.best is not None:
                # optuna only checks its timeout between trials; stop a trial that would overrun,
                # but never before one trial has completed (a model must come out).
                trial.set_user_attr("out_of_time", True)
                raise optuna.TrialPruned()
            estimator = family.build(params, self.kind, self.seed)
            start = time.perf_counter()
            estimator.fit(fold.X_train, fold.y_train)
            fit_s += time.perf_counter() - start
            start = time.perf_counter()
            preds.append(predict(estimator, fold.X_valid, self.kind))
            predict_s += time.perf_counter() - start
            ys.append(fold.y_valid)
            partial = score_predictions(self.metric, self.kind, fold.y_valid, preds[-1])
            trial.report(partial, step)
            trial.set_user_attr("fit_s", fit_s)
            trial.set_user_attr("predict_s", predict_s)
            if step < len(self.folds) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
        y, pred = np.concatenate(ys), np.concatenate(preds)
        value = score_predictions(self.metric, self.kind, y, pred)
        sign = 1 if self.metric.greater_is_better else -1
        if self.best is None or sign * value > sign * self.best[0]:
            self.best = (value, y, pred)
        return value


def run_search(
    folds: list[Fold],
    families: dict[str, Family],
    kind: str,
    metric: Metric,
    budget_s: float,
    max_trials: int | None,
    seed: int,
    log: Logger,
    label: str,
) -> SearchResult:
    """Search families and hyperparameters with TPE until the budget or trial cap is spent.

    Every trial is logged as one line (``label`` names the model). Pruning stops a trial
    whose first folds score below the median of earlier trials.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if metric.greater_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=len(families) + 2),
    )
    for name in families:
        study.enqueue_trial({"family": name})
    objective = _Objective(folds, families, kind, metric, seed)
    objective.deadline = time.monotonic() + budget_s

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        completed = [t.value for t in study.trials if t.state.name == "COMPLETE"]
        best = (max if metric.greater_is_better else min)(completed, default=float("nan"))
        value = "n/a" if trial.value is None else f"{trial.value:.4f}"
        log.info(
            f"{label} trial {trial.number + 1}: {trial.params['family']:<22} "
            f"{metric.name}={value} best={best:.4f} "
            f"({trial.user_attrs.get('fit_s', 0.0):.1f}s fit) [{trial.state.name.lower()}]"
        )

    study.optimize(
        objective,
        timeout=budget_s,
        n_trials=max_trials,
        callbacks=[log_trial],
        catch=(ValueError, ArithmeticError, MemoryError),
    )
    return _result(study, objective)


def _result(study: Any, objective: _Objective) -> SearchResult:
    trials = [
        TrialRecord(
            number=t.number,
            family=t.params.get("family", ""),
            params=t.user_attrs.get("params", {}),
            score=t.value,
            fit_s=t.user_attrs.get("fit_s", 0.0),
            predict_s=t.user_attrs.get("predict_s", 0.0),
            state=t.state.name.lower(),
            warm_start=bool(t.user_attrs.get("warm_start", False)),
        )
        for t in study.trials
    ]
    if objective.best is None:
        return SearchResult(family="", params={}, score=float("nan"), trials=trials)
    best = study.best_trial
    return SearchResult(
        family=best.params["family"],
        params=best.user_attrs["params"],
        score=float(best.value),
        trials=trials,
        y_valid=objective.best[1],
        pred_valid=objective.best[2],
    )
