"""Bagged trees: random forests and extremely randomised trees, grown until done or out of
time."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from dbt_automl.search._family import Family, _class_weight, _estimator_kwargs, _grow, _p

if TYPE_CHECKING:
    from optuna import Trial

    from dbt_automl.tasks import Task


class RandomForest(Family):
    """Bagged trees: random forest or extra trees, grown in chunks until done or out of time."""

    name = "random_forest"
    CHUNK = 25

    def __init__(self, n_rows: int = 10_000, n_jobs: int = 1) -> None:
        super().__init__(n_rows, n_jobs)
        # Each tree bags at most 20k rows: forest quality saturates long before the row count
        # does, while fit time grows with it (73 s for 200 trees on 128k rows, one core).
        self.max_samples = min(1.0, 20_000 / max(n_rows, 1))

    def default(self, task: Task) -> dict[str, Any]:
        """200 trees, sqrt of the features per split (scikit-learn's classifier default)."""
        return {
            "extra_trees": False,
            "n_estimators": 200,
            "max_features": "sqrt",
            "min_samples_leaf": 2,
            "class_weight": None,
        }

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Tree count, feature fraction, leaf size, extra-trees switch."""
        extra = trial.suggest_categorical(_p(self.name, "extra"), [False, True])
        return self._space(trial, task, extra)

    def _space(self, trial: Trial, task: Task, extra: bool) -> dict[str, Any]:
        n = self.name
        return {
            "extra_trees": extra,
            "n_estimators": trial.suggest_int(_p(n, "n_estimators"), 50, 400, log=True),
            "max_features": trial.suggest_float(_p(n, "max_features"), 0.05, 1.0, log=True),
            "min_samples_leaf": trial.suggest_int(_p(n, "msl"), 1, 30, log=True),
            "class_weight": _class_weight(trial, n, task, [None, "balanced_subsample"]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """RandomForest* or ExtraTrees*."""
        from sklearn import ensemble

        prefix = "ExtraTrees" if params["extra_trees"] else "RandomForest"
        suffix = "Classifier" if task.is_classification else "Regressor"
        return getattr(ensemble, prefix + suffix)(
            **_estimator_kwargs(params, task, drop=("extra_trees",)),
            bootstrap=True,
            max_samples=self.max_samples,
            n_jobs=self.n_jobs,
            random_state=seed,
        )

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Grow CHUNK trees at a time (warm start) until all are grown or time is up."""
        with warnings.catch_warnings():
            # scikit-learn warns that balanced class weights may drift across warm starts on
            # different data; every chunk here refits the same rows, so the weights are exact.
            warnings.filterwarnings("ignore", message="class_weight presets", category=UserWarning)
            grown = _grow(estimator, X, y, "n_estimators", self.CHUNK, deadline)
        return {"n_estimators": grown}


class ExtraTrees(RandomForest):
    """Extremely randomised trees as a family of their own, so that their default is always
    tried: they err differently from bootstrapped forests and boosting, which the ensemble
    needs (AutoGluon fits both forests for the same reason)."""

    name = "extra_trees"

    def default(self, task: Task) -> dict[str, Any]:
        """200 extra trees, sqrt of the features per split, leaves of 2 rows."""
        return {**super().default(task), "extra_trees": True}

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """The forest space, always with extra trees."""
        return self._space(trial, task, extra=True)
