"""Model families: each is a small class with its search space (FLAML's idea)."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.base import BaseEstimator


class Family:
    """A learner family: a warm-start default, a search space and a constructor."""

    name = ""

    def default(self, kind: str) -> dict[str, Any]:
        """A configuration known to be good, tried first (warm start)."""
        raise NotImplementedError

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Sample hyperparameters for one optuna trial."""
        raise NotImplementedError

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """An unfitted estimator for ``params``."""
        raise NotImplementedError


def _p(family: str, name: str) -> str:
    # Parameter names are prefixed so that optuna treats each family's space separately.
    return f"{family}__{name}"


class Linear(Family):
    """Logistic regression (classification) or ridge (regression), L2-regularised."""

    name = "linear"

    def default(self, kind: str) -> dict[str, Any]:
        """C=1 / alpha=1."""
        return {"C": 1.0, "class_weight": None} if kind != "regression" else {"alpha": 1.0}

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Regularisation strength on a log scale; class weights for classification."""
        if kind == "regression":
            return {"alpha": trial.suggest_float(_p(self.name, "alpha"), 1e-3, 1e3, log=True)}
        return {
            "C": trial.suggest_float(_p(self.name, "C"), 1e-3, 1e2, log=True),
            "class_weight": trial.suggest_categorical(
                _p(self.name, "class_weight"), [None, "balanced"]
            ),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """LogisticRegression or Ridge."""
        from sklearn.linear_model import LogisticRegression, Ridge

        if kind == "regression":
            return Ridge(alpha=params["alpha"])
        return LogisticRegression(
            C=params["C"], class_weight=params["class_weight"], max_iter=2000
        )


class RandomForest(Family):
    """Bagged trees: random forest or extra trees, row-subsampled to bound fit time."""

    name = "random_forest"

    def __init__(self, n_rows: int = 10_000, n_jobs: int = 1) -> None:
        # Each tree bags at most 20k rows: forest quality saturates long before the row count
        # does, while fit time grows with it (73 s for 200 trees on 128k rows, one core).
        self.max_samples = min(1.0, 20_000 / max(n_rows, 1))
        self.n_jobs = n_jobs

    def default(self, kind: str) -> dict[str, Any]:
        """100 trees, half the features per split."""
        return {
            "extra_trees": False,
            "n_estimators": 100,
            "max_features": 0.5,
            "min_samples_leaf": 2,
            "class_weight": None,
        }

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Tree count, feature fraction, leaf size, extra-trees switch."""
        params = {
            "extra_trees": trial.suggest_categorical(_p(self.name, "extra"), [False, True]),
            "n_estimators": trial.suggest_int(_p(self.name, "n_estimators"), 50, 300),
            "max_features": trial.suggest_float(_p(self.name, "max_features"), 0.1, 1.0),
            "min_samples_leaf": trial.suggest_int(_p(self.name, "msl"), 1, 30, log=True),
            "class_weight": None,
        }
        if kind != "regression":
            params["class_weight"] = trial.suggest_categorical(
                _p(self.name, "class_weight"), [None, "balanced_subsample"]
            )
        return params

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """RandomForest* or ExtraTrees*."""
        from sklearn import ensemble

        prefix = "ExtraTrees" if params["extra_trees"] else "RandomForest"
        suffix = "Regressor" if kind == "regression" else "Classifier"
        kwargs = {k: v for k, v in params.items() if k not in ("extra_trees", "class_weight")}
        if kind != "regression":
            kwargs["class_weight"] = params["class_weight"]
        return getattr(ensemble, prefix + suffix)(
            **kwargs,
            bootstrap=True,
            max_samples=self.max_samples,
            n_jobs=self.n_jobs,
            random_state=seed,
        )


class HistGradientBoosting(Family):
    """scikit-learn's histogram gradient boosting with early stopping."""

    name = "hist_gradient_boosting"

    def default(self, kind: str) -> dict[str, Any]:
        """scikit-learn's defaults."""
        return {
            "learning_rate": 0.1,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 0.0,
            "class_weight": None,
        }

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Learning rate, tree size, leaf size, L2; class weights for classification."""
        n = self.name
        params = {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int(_p(n, "leaves"), 7, 127, log=True),
            "min_samples_leaf": trial.suggest_int(_p(n, "msl"), 5, 200, log=True),
            "l2_regularization": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": None,
        }
        if kind != "regression":
            params["class_weight"] = trial.suggest_categorical(
                _p(n, "class_weight"), [None, "balanced"]
            )
        return params

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """HistGradientBoosting{Classifier,Regressor} with early stopping on 10 %."""
        from sklearn import ensemble

        kwargs = dict(params)
        if kind == "regression":
            kwargs.pop("class_weight")
            cls = ensemble.HistGradientBoostingRegressor
        else:
            cls = ensemble.HistGradientBoostingClassifier
        return cls(
            **kwargs, max_iter=500, early_stopping=True, n_iter_no_change=20, random_state=seed
        )


class LightGBM(Family):
    """LightGBM gradient boosting: the fastest strong learner on 2 cores."""

    name = "lightgbm"

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_jobs = n_jobs

    def default(self, kind: str) -> dict[str, Any]:
        """LightGBM's defaults with 200 rounds."""
        return {
            "n_estimators": 200,
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 1.0,
            "colsample_bytree": 0.8,
            "reg_lambda": 1e-3,
            "class_weight": None,
        }

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Rounds, learning rate, leaves, row/column sampling, L2, class weights."""
        n = self.name
        params = {
            "n_estimators": trial.suggest_int(_p(n, "n_estimators"), 50, 1000, log=True),
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int(_p(n, "leaves"), 7, 255, log=True),
            "min_child_samples": trial.suggest_int(_p(n, "mcs"), 5, 200, log=True),
            "subsample": trial.suggest_float(_p(n, "subsample"), 0.5, 1.0),
            "colsample_bytree": trial.suggest_float(_p(n, "colsample"), 0.3, 1.0),
            "reg_lambda": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": None,
        }
        if kind != "regression":
            params["class_weight"] = trial.suggest_categorical(
                _p(n, "class_weight"), [None, "balanced"]
            )
        return params

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """LGBMClassifier / LGBMRegressor, quiet, deterministic."""
        import lightgbm

        kwargs = dict(params)
        cls = lightgbm.LGBMRegressor if kind == "regression" else lightgbm.LGBMClassifier
        if kind == "regression":
            kwargs.pop("class_weight")
        return cls(
            **kwargs,
            subsample_freq=1,
            n_jobs=self.n_jobs,
            random_state=seed,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )


def make_families(names: tuple[str, ...], n_rows: int, n_jobs: int = 1) -> dict[str, Family]:
    """The families named in the config, ready to search (``n_jobs`` threads per fit)."""
    available: dict[str, Family] = {
        "linear": Linear(),
        "random_forest": RandomForest(n_rows, n_jobs),
        "hist_gradient_boosting": HistGradientBoosting(),
        "lightgbm": LightGBM(n_jobs),
    }
    return {name: available[name] for name in names}
