"""The optuna study across model families and hyperparameters, under a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dbt_automl._log import Logger

if TYPE_CHECKING:
    import optuna

    from dbt_automl.search._family import Family
    from dbt_automl.tasks import Metric, Task

# Trials kept (predictions and fold models) for the ensemble: the best few overall and each
# family's best two. On small tables hundreds of trials of one family crowd the top of the
# leaderboard by luck of the folds; a blend of families errs less on unseen rows (AutoGluon's
# weighted ensemble takes one model per family for the same reason).
KEEP_CANDIDATES = 4
KEEP_PER_FAMILY = 2
# A trial's prediction cost is timed on this many validation rows (tiled when fewer): large
# enough that per-call overhead does not dominate, small enough to cost milliseconds.
COST_ROWS = 2_048


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
    predict_us_per_row: float | None = None  # CPU microseconds to predict one row


@dataclass
class Candidate:
    """A completed trial that may join the ensemble: refit parameters and predictions."""

    number: int
    family: str
    params: dict[str, Any]
    score: float
    pred: np.ndarray
    fold_models: list[Any] = field(default_factory=list)  # one fitted estimator per fold
    cost_us: float = 0.0  # CPU microseconds to predict one row (one fold model)

    @property
    def label(self) -> str:
        """``family#trial``, as logs and decisions name a member."""
        return f"{self.family}#{self.number + 1}"


@dataclass
class SearchResult:
    """Every finished trial, and the best trials' validation predictions (best first)."""

    trials: list[TrialRecord] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    y_valid: np.ndarray = field(default_factory=lambda: np.empty(0))
    search_s: float = 0.0
    # Trials over the prediction-cost budget, cheapest first: the fallback when none is in.
    over_budget: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate:
        """The best single trial."""
        return self.candidates[0]


def _refit_params(params: dict[str, Any], overrides: list[dict[str, Any]]) -> dict[str, Any]:
    # Sizes learned per fold (boosting rounds, trees) are averaged for the final refit.
    merged = dict(params)
    for key in overrides[0] if overrides else []:
        merged[key] = int(round(np.mean([o[key] for o in overrides])))
    return merged


@dataclass
class Study:
    """What a search compares: families on one task and metric, seeded, logged as ``label``.

    Example::

        result = Study(task, metric, families, seed=42, log=log, label="churn_model").run(
            folds, budget_s=60, max_trials=None
        )
    """

    task: Task
    metric: Metric
    families: dict[str, Family]
    seed: int
    log: Logger
    label: str
    max_cost_us: float | None = None  # per-row prediction budget of one model (None: off)

    def run(self, folds: list[Fold], budget_s: float, max_trials: int | None) -> SearchResult:
        """Search families and hyperparameters with TPE until the budget or trial cap is spent.

        Every trial is logged as one line. Fits stop at the deadline (boosting rounds,
        trees), folds are not started after it, and the median pruner stops a trial whose
        first folds score below the median of earlier trials.
        """
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize" if self.metric.greater_is_better else "minimize",
            sampler=optuna.samplers.TPESampler(seed=self.seed, multivariate=True),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=len(self.families) + 2),
        )
        for name in self.families:
            study.enqueue_trial({"family": name})
        objective = _Objective(self, folds)
        started = time.monotonic()
        objective.deadline = started + budget_s
        study.optimize(
            objective,
            timeout=budget_s,
            n_trials=max_trials,
            callbacks=[objective.log_trial],
            catch=(ValueError, ArithmeticError, MemoryError),
        )
        return SearchResult(
            trials=[_record(t) for t in study.trials if t.state.is_finished()],
            candidates=objective.candidates,
            y_valid=objective.y_valid,
            search_s=time.monotonic() - started,
            over_budget=objective.over_budget,
        )


def _record(trial: optuna.trial.FrozenTrial) -> TrialRecord:
    # Warm starts enqueued but never run before the budget ran out stay "waiting": the
    # caller keeps finished trials only.
    attrs = trial.user_attrs
    return TrialRecord(
        number=trial.number,
        family=trial.params.get("family", ""),
        params=attrs.get("refit_params", attrs.get("params", {})),
        score=trial.value if trial.state.name == "COMPLETE" else None,
        fit_s=attrs.get("fit_s", 0.0),
        predict_s=attrs.get("predict_s", 0.0),
        state=trial.state.name.lower(),
        warm_start=bool(attrs.get("warm_start", False)),
        predict_us_per_row=attrs.get("predict_us_per_row"),
    )


def predict_cost_us(task: Task, estimator: Any, X: np.ndarray) -> float:
    """CPU microseconds one row costs ``estimator`` to predict, timed on COST_ROWS rows.

    CPU time, not wall time: on a busy machine it stays close to what scoring will pay, and
    threads an estimator starts are counted, so it is cost on one core.
    """
    rows = np.resize(X, (COST_ROWS, X.shape[1])) if len(X) < COST_ROWS else X[:COST_ROWS]
    started = time.process_time()
    task.predict(estimator, rows)
    return (time.process_time() - started) / len(rows) * 1e6


class _Objective:
    """Callable optuna objective that keeps the best trials' validation predictions."""

    def __init__(self, study: Study, folds: list[Fold]) -> None:
        self.study, self.folds = study, folds
        self.task, self.metric, self.families = study.task, study.metric, study.families
        self.deadline = float("inf")
        self.warmed: set[str] = set()
        self.candidates: list[Candidate] = []
        self.over_budget: list[Candidate] = []
        self.y_valid = np.concatenate([f.y_valid for f in folds])

    def _params(self, trial: optuna.Trial, name: str) -> dict[str, Any]:
        if name not in self.warmed:
            # The first trial of each family is its known-good default (warm start).
            self.warmed.add(name)
            trial.set_user_attr("warm_start", True)
            return self.families[name].default(self.task)
        return self.families[name].suggest(trial, self.task)

    def __call__(self, trial: optuna.Trial) -> float:
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
            estimator = family.build(params, self.task, self.study.seed)
            start = time.perf_counter()
            valid = (fold.X_valid, fold.y_valid)
            overrides.append(
                family.fit(estimator, fold.X_train, fold.y_train, valid, self.deadline)
            )
            fit_s += time.perf_counter() - start
            start = time.perf_counter()
            preds.append(self.task.predict(estimator, fold.X_valid))
            models.append(estimator)
            predict_s += time.perf_counter() - start
            trial.set_user_attr("fit_s", fit_s)
            trial.set_user_attr("predict_s", predict_s)
            trial.report(self.task.score(self.metric, fold.y_valid, preds[-1]), step)
            if step < len(self.folds) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
        pred = np.concatenate(preds)
        value = self.task.score(self.metric, self.y_valid, pred)
        refit = _refit_params(params, overrides)
        trial.set_user_attr("refit_params", refit)
        cost = predict_cost_us(self.task, models[-1], self.folds[-1].X_valid)
        trial.set_user_attr("predict_us_per_row", cost)
        self._keep(Candidate(trial.number, name, refit, value, pred, models, cost))
        return value

    def _keep(self, candidate: Candidate) -> None:
        budget = self.study.max_cost_us
        if budget is not None and candidate.cost_us > budget:
            # Kept apart, cheapest first: what the ensemble falls back on if no trial fits.
            self.over_budget = sorted([*self.over_budget, candidate], key=lambda c: c.cost_us)[:1]
            return
        self.candidates.append(candidate)
        self.candidates.sort(key=lambda c: -self.metric.sign * c.score)
        kept: list[Candidate] = []
        per_family: dict[str, int] = {}
        for rank, cand in enumerate(self.candidates):
            seen = per_family.get(cand.family, 0)
            if rank < KEEP_CANDIDATES or seen < KEEP_PER_FAMILY:
                kept.append(cand)
            per_family[cand.family] = seen + 1
        self.candidates = kept

    def log_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """One log line per finished trial (an optuna callback)."""
        best = self.candidates[0].score if self.candidates else float("nan")
        value = "n/a" if trial.value is None else f"{trial.value:.4f}"
        self.study.log.info(
            f"{self.study.label} trial {trial.number + 1}: {trial.params['family']:<22} "
            f"{self.metric.name}={value} best={best:.4f} "
            f"({trial.user_attrs.get('fit_s', 0.0):.1f}s fit) [{trial.state.name.lower()}]"
        )
