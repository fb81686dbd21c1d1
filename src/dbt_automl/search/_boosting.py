"""Gradient boosting: scikit-learn's histogram GBM, LightGBM and CatBoost, early-stopped on
the validation fold and stopped at the deadline."""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from dbt_automl.search._family import PATIENCE, Family, _class_weight, _estimator_kwargs, _grow, _p

if TYPE_CHECKING:
    from optuna import Trial

    from dbt_automl.tasks import Task


class HistGradientBoosting(Family):
    """scikit-learn's histogram gradient boosting, early-stopped, grown in chunks of rounds."""

    name = "hist_gradient_boosting"
    CHUNK = 50

    def default(self, task: Task) -> dict[str, Any]:
        """scikit-learn's defaults exactly, so the search always contains that baseline."""
        return {
            "learning_rate": 0.1,
            "max_iter": 100,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 0.0,
            "class_weight": None,
        }

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Learning rate, tree size, leaf size, L2; class weights for classification."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "max_iter": trial.suggest_int(_p(n, "max_iter"), 50, 1000, log=True),
            "max_leaf_nodes": trial.suggest_int(_p(n, "leaves"), 7, 127, log=True),
            "min_samples_leaf": trial.suggest_int(_p(n, "msl"), 2, 200, log=True),
            "l2_regularization": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": _class_weight(trial, n, task, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """HistGradientBoosting{Classifier,Regressor}; early stopping above 10k rows ('auto')."""
        from sklearn import ensemble

        cls = (
            ensemble.HistGradientBoostingClassifier
            if task.is_classification
            else ensemble.HistGradientBoostingRegressor
        )
        return cls(**_estimator_kwargs(params, task), early_stopping="auto", random_state=seed)

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Add CHUNK rounds at a time until early stopping, max_iter or the deadline."""

        def early_stopped() -> bool:
            return estimator.n_iter_ < estimator.max_iter

        _grow(estimator, X, y, "max_iter", self.CHUNK, deadline, early_stopped)
        return {"max_iter": int(estimator.n_iter_)}


class LightGBM(Family):
    """LightGBM gradient boosting, early-stopped on the validation fold (multi-fidelity)."""

    name = "lightgbm"
    MAX_ROUNDS = 2000

    def default(self, task: Task) -> dict[str, Any]:
        """LightGBM's defaults at learning rate 0.05, rounds chosen by early stopping."""
        return {
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 1.0,
            "colsample_bytree": 0.8,
            "reg_lambda": 1e-3,
            "class_weight": None,
        }

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Learning rate, leaves, row/column sampling, L2, class weights."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int(_p(n, "leaves"), 4, 255, log=True),
            "min_child_samples": trial.suggest_int(_p(n, "mcs"), 2, 200, log=True),
            "subsample": trial.suggest_float(_p(n, "subsample"), 0.5, 1.0),
            "colsample_bytree": trial.suggest_float(_p(n, "colsample"), 0.3, 1.0),
            "reg_lambda": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": _class_weight(trial, n, task, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """LGBMClassifier / LGBMRegressor, quiet, deterministic."""
        import lightgbm

        cls = lightgbm.LGBMClassifier if task.is_classification else lightgbm.LGBMRegressor
        kwargs = _estimator_kwargs(params, task)
        kwargs.setdefault("n_estimators", self.MAX_ROUNDS)
        return cls(
            **kwargs,
            subsample_freq=1,
            n_jobs=self.n_jobs,
            random_state=seed,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Early stopping on ``valid`` (PATIENCE rounds) and at the deadline."""
        import lightgbm

        def stop_at_deadline(env: Any) -> None:
            if time.monotonic() > deadline:
                raise lightgbm.callback.EarlyStopException(env.iteration, [])

        callbacks = [stop_at_deadline]
        kwargs: dict[str, Any] = {}
        if valid is not None:
            # LightGBM 4.7 renamed eval_set to eval_X / eval_y; older releases know only eval_set.
            if "eval_X" in inspect.signature(estimator.fit).parameters:
                kwargs.update(eval_X=(valid[0],), eval_y=(valid[1],))
            else:
                kwargs["eval_set"] = [valid]
            callbacks.append(lightgbm.early_stopping(PATIENCE, verbose=False))
        estimator.fit(X, y, callbacks=callbacks, **kwargs)
        rounds = estimator.best_iteration_ or estimator.n_estimators_
        return {"n_estimators": int(max(rounds, 1))}


class CatBoost(Family):
    """CatBoost: oblivious trees with ordered boosting, strong with default settings on small
    tables, early-stopped on the validation fold and stopped at the deadline."""

    name = "catboost"
    MAX_ROUNDS = 2000

    def default(self, task: Task) -> dict[str, Any]:
        """Depth 6, L2 3 (CatBoost's defaults) at learning rate 0.08."""
        return {"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0, "class_weight": None}

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Learning rate, depth, L2; balanced class weights for classification."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.02, 0.3, log=True),
            "depth": trial.suggest_int(_p(n, "depth"), 3, 8),
            "l2_leaf_reg": trial.suggest_float(_p(n, "l2"), 0.5, 30.0, log=True),
            "class_weight": _class_weight(trial, n, task, [None, "Balanced"]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """CatBoostClassifier / CatBoostRegressor, quiet, writing no files, predicting on
        the threads it is fitted with."""
        from dbt_automl.search import _catboost as catboost

        kwargs = {k: v for k, v in params.items() if k != "class_weight"}
        kwargs.setdefault("iterations", self.MAX_ROUNDS)
        if not task.is_classification:
            return catboost.CatBoostRegressor(**kwargs, **self._common(seed))
        return catboost.CatBoostClassifier(
            **kwargs, auto_class_weights=params.get("class_weight"), **self._common(seed)
        )

    def _common(self, seed: int) -> dict[str, Any]:
        return {
            "random_seed": seed,
            "thread_count": self.n_jobs,
            "verbose": False,
            "allow_writing_files": False,
        }

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Early stopping on ``valid`` (PATIENCE rounds) and at the deadline."""

        class Deadline:
            def after_iteration(self, info: Any) -> bool:
                return time.monotonic() < deadline

        kwargs: dict[str, Any] = {"callbacks": [Deadline()]}
        if valid is not None:
            kwargs.update(eval_set=valid, early_stopping_rounds=PATIENCE, use_best_model=True)
        estimator.fit(X, y, **kwargs)
        return {"iterations": int(max(estimator.tree_count_, 1))}
