"""The optuna study across model families and hyperparameters, under a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dbt_automl._families import Family
from dbt_automl._log import Logger
from dbt_automl._tasks import Metric, best_f1_threshold

# Trials kept (predictions and fold models) for the ensemble: the best few overall and each
# family's best two. On small tables hundreds of trials of one family crowd the top of the
# leaderboard by luck of the folds; a blend of families errs less on unseen rows (AutoGluon's
# weighted ensemble takes one model per family for the same reason).
KEEP_CANDIDATES = 4
KEEP_PER_FAMILY = 2


@dataclass
class Fold:
    """Preprocessed training and validation matrices of one split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    preprocessor: Any = None  # fitted on this fold's training rows


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
class Candidate:
    """A completed trial that may join the ensemble: refit parameters and predictions."""

    number: int
    family: str
    params: dict[str, Any]
    score: float
    pred: np.ndarray
    fold_models: list[Any] = field(default_factory=list)  # one fitted estimator per fold


@dataclass
class SearchResult:
    """The winner, every trial, and the best trials' validation predictions."""

    family: str
    params: dict[str, Any]
    score: float
    trials: list[TrialRecord] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    y_valid: np.ndarray | None = None
    pred_valid: np.ndarray | None = None
    search_s: float = 0.0


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


def _refit_params(params: dict[str, Any], overrides: list[dict[str, Any]]) -> dict[str, Any]:
    # Sizes learned per fold (boosting rounds, trees) are averaged for the final refit.
    merged = dict(params)
    for key in overrides[0] if overrides else []:
        merged[key] = int(round(np.mean([o[key] for o in overrides])))
    return merged


class _Objective:
    """Callable optuna objective that keeps the best trials' validation predictions."""

    def __init__(
        self, folds: list[Fold], families: dict[str, Family], kind: str, metric: Metric, seed: int
    ) -> None:
        self.folds, self.families, self.kind = folds, families, kind
        self.metric, self.seed = metric, seed
        self.sign = 1 if metric.greater_is_better else -1
        self.deadline = float("inf")
        self.warmed: set[str] = set()
        self.candidates: list[Candidate] = []
        self.y_valid = np.concatenate([f.y_valid for f in folds])

    def _params(self, trial: Any, name: str) -> dict[str, Any]:
        if name not in self.warmed:
            # The first trial of each family is its known-good default (warm start).
            self.warmed.add(name)
            trial.set_user_attr("warm_start", True)
            return self.families[name].default(self.kind)
        return self.families[name].suggest(trial, self.kind)

    def __call__(self, trial: Any) -> float:
        import optuna

        name = trial.suggest_categorical("family", list(self.families))
        family, params = self.families[name], self._params(trial, name)
        trial.set_user_attr("params", params)
        fit_s = predict_s = 0.0
        preds, overrides, models = [], [], []
        for step, fold in enumerate(self.folds):
            if time.monotonic() > self.deadline and self.candidates:
                # Never start a fold after the deadline, once some trial has completed.
                trial.set_user_attr("out_of_time", True)
                raise optuna.TrialPruned()
            estimator = family.build(params, self.kind, self.seed)
            start = time.perf_counter()
            valid = (fold.X_valid, fold.y_valid)
            overrides.append(
                family.fit(estimator, fold.X_train, fold.y_train, valid, self.deadline)
            )
            fit_s += time.perf_counter() - start
            start = time.perf_counter()
            preds.append(predict(estimator, fold.X_valid, self.kind))
            models.append(estimator)
            predict_s += time.perf_counter() - start
            trial.set_user_attr("fit_s", fit_s)
            trial.set_user_attr("predict_s", predict_s)
            trial.report(score_predictions(self.metric, self.kind, fold.y_valid, preds[-1]), step)
            if step < len(self.folds) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
        pred = np.concatenate(preds)
        value = score_predictions(self.metric, self.kind, self.y_valid, pred)
        refit = _refit_params(params, overrides)
        trial.set_user_attr("refit_params", refit)
        self._keep(Candidate(trial.number, name, refit, value, pred, models))
        return value

    def _keep(self, candidate: Candidate) -> None:
        self.candidates.append(candidate)
        self.candidates.sort(key=lambda c: -self.sign * c.score)
        kept: list[Candidate] = []
        per_family: dict[str, int] = {}
        for rank, cand in enumerate(self.candidates):
            seen = per_family.get(cand.family, 0)
            if rank < KEEP_CANDIDATES or seen < KEEP_PER_FAMILY:
                kept.append(cand)
            per_family[cand.family] = seen + 1
        self.candidates = kept


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

    Every trial is logged as one line (``label`` names the model). Fits stop at the deadline
    (boosting rounds, trees), folds are not started after it, and the median pruner stops a
    trial whose first folds score below the median of earlier trials.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if metric.greater_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=len(families) + 2),
    )
    for name in families:
        study.enqueue_trial({"family": name})
    objective = _Objective(folds, families, kind, metric, seed)
    started = time.monotonic()
    objective.deadline = started + budget_s

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        best = objective.candidates[0].score if objective.candidates else float("nan")
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
    result = _result(study, objective)
    result.search_s = time.monotonic() - started
    return result


def _result(study: Any, objective: _Objective) -> SearchResult:
    trials = [
        TrialRecord(
            number=t.number,
            family=t.params.get("family", ""),
            params=t.user_attrs.get("refit_params", t.user_attrs.get("params", {})),
            score=t.value if t.state.name == "COMPLETE" else None,
            fit_s=t.user_attrs.get("fit_s", 0.0),
            predict_s=t.user_attrs.get("predict_s", 0.0),
            state=t.state.name.lower(),
            warm_start=bool(t.user_attrs.get("warm_start", False)),
        )
        for t in study.trials
        # Warm starts enqueued but never run before the budget ran out stay "waiting".
        if t.state.is_finished()
    ]
    if not objective.candidates:
        return SearchResult(family="", params={}, score=float("nan"), trials=trials)
    best = objective.candidates[0]
    return SearchResult(
        family=best.family,
        params=best.params,
        score=best.score,
        trials=trials,
        candidates=objective.candidates,
        y_valid=objective.y_valid,
        pred_valid=best.pred,
    )
