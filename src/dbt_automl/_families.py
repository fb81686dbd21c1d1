"""Model families: each is a small class with its search space (FLAML's idea).

A family also knows how to fit under a deadline: boosting stops adding rounds and forests
stop adding trees when time is up, so one slow trial cannot blow the time budget. What a fit
learned about its own size (early-stopped rounds, trees grown) is returned so that the
final refit reproduces it.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
from sklearn.base import BaseEstimator


class Family:
    """A learner family: a warm-start default, a search space, a constructor and a fit."""

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

    def fit(
        self,
        estimator: BaseEstimator,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Fit ``estimator``; return parameter overrides that a refit should use."""
        estimator.fit(X, y)
        return {}


# Boosting rounds without improvement on the validation fold before a boosting fit stops.
PATIENCE = 50


def _p(family: str, name: str) -> str:
    # Parameter names are prefixed so that optuna treats each family's space separately.
    return f"{family}__{name}"


def _estimator_kwargs(params: dict[str, Any], kind: str, drop: tuple[str, ...] = ()) -> dict:
    """Search parameters as estimator arguments: regressors take no ``class_weight``."""
    kwargs = {k: v for k, v in params.items() if k != "class_weight" and k not in drop}
    if kind != "regression":
        kwargs["class_weight"] = params.get("class_weight")
    return kwargs


def _grow(
    estimator: BaseEstimator,
    X: np.ndarray,
    y: np.ndarray,
    size: str,
    chunk: int,
    deadline: float,
    done: Callable[[], bool] = lambda: False,
) -> int:
    """Fit with warm start, ``chunk`` more trees or rounds at a time, up to the estimator's own
    ``size``, until ``done()`` or the deadline; return the size reached."""
    limit = getattr(estimator, size)
    estimator.set_params(warm_start=True, **{size: min(chunk, limit)})
    estimator.fit(X, y)
    while getattr(estimator, size) < limit and not done() and time.monotonic() < deadline:
        estimator.set_params(**{size: min(getattr(estimator, size) + chunk, limit)})
        estimator.fit(X, y)
    estimator.set_params(warm_start=False)
    return int(getattr(estimator, size))


def _class_weight(trial: optuna.Trial, family: str, kind: str, choices: list) -> Any:
    if kind == "regression":
        return None
    return trial.suggest_categorical(_p(family, "class_weight"), choices)


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
            "class_weight": _class_weight(trial, self.name, kind, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """LogisticRegression or Ridge."""
        from sklearn.linear_model import LogisticRegression, Ridge

        if kind == "regression":
            return Ridge(alpha=params["alpha"])
        return LogisticRegression(C=params["C"], class_weight=params["class_weight"], max_iter=500)


class RandomForest(Family):
    """Bagged trees: random forest or extra trees, grown in chunks until done or out of time."""

    name = "random_forest"
    CHUNK = 25

    def __init__(self, n_rows: int = 10_000, n_jobs: int = 1) -> None:
        # Each tree bags at most 20k rows: forest quality saturates long before the row count
        # does, while fit time grows with it (73 s for 200 trees on 128k rows, one core).
        self.max_samples = min(1.0, 20_000 / max(n_rows, 1))
        self.n_jobs = n_jobs

    def default(self, kind: str) -> dict[str, Any]:
        """200 trees, sqrt of the features per split (scikit-learn's classifier default)."""
        return {
            "extra_trees": False,
            "n_estimators": 200,
            "max_features": "sqrt",
            "min_samples_leaf": 2,
            "class_weight": None,
        }

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Tree count, feature fraction, leaf size, extra-trees switch."""
        extra = trial.suggest_categorical(_p(self.name, "extra"), [False, True])
        return self._space(trial, kind, extra)

    def _space(self, trial: optuna.Trial, kind: str, extra: bool) -> dict[str, Any]:
        n = self.name
        return {
            "extra_trees": extra,
            "n_estimators": trial.suggest_int(_p(n, "n_estimators"), 50, 400, log=True),
            "max_features": trial.suggest_float(_p(n, "max_features"), 0.05, 1.0, log=True),
            "min_samples_leaf": trial.suggest_int(_p(n, "msl"), 1, 30, log=True),
            "class_weight": _class_weight(trial, n, kind, [None, "balanced_subsample"]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """RandomForest* or ExtraTrees*."""
        from sklearn import ensemble

        prefix = "ExtraTrees" if params["extra_trees"] else "RandomForest"
        suffix = "Regressor" if kind == "regression" else "Classifier"
        return getattr(ensemble, prefix + suffix)(
            **_estimator_kwargs(params, kind, drop=("extra_trees",)),
            bootstrap=True,
            max_samples=self.max_samples,
            n_jobs=self.n_jobs,
            random_state=seed,
        )

    def fit(
        self,
        estimator: BaseEstimator,
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

    def default(self, kind: str) -> dict[str, Any]:
        """200 extra trees, sqrt of the features per split, leaves of 2 rows."""
        return {**super().default(kind), "extra_trees": True}

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """The forest space, always with extra trees."""
        return self._space(trial, kind, extra=True)


class NearestNeighbors(Family):
    """k-nearest neighbours on the standardised features.

    Rarely the best model alone, but its errors differ from every tree model's, so it earns
    ensemble weight on small, smooth tables (digits, wine). Prediction costs grow with
    training rows times scored rows, so :func:`make_families` offers it only to small tables.
    """

    name = "knn"
    MAX_ROWS = 20_000

    def default(self, kind: str) -> dict[str, Any]:
        """10 neighbours weighted by distance."""
        return {"n_neighbors": 10, "weights": "distance", "p": 2}

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Neighbour count, weighting, Manhattan or Euclidean distance."""
        n = self.name
        return {
            "n_neighbors": trial.suggest_int(_p(n, "k"), 2, 100, log=True),
            "weights": trial.suggest_categorical(_p(n, "weights"), ["uniform", "distance"]),
            "p": trial.suggest_categorical(_p(n, "p"), [1, 2]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """KNeighborsClassifier / KNeighborsRegressor."""
        from sklearn import neighbors

        cls = (
            neighbors.KNeighborsRegressor
            if kind == "regression"
            else neighbors.KNeighborsClassifier
        )
        return cls(**params)

    def fit(
        self,
        estimator: BaseEstimator,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Store the rows; a neighbour count above the row count is cut to it."""
        estimator.set_params(n_neighbors=min(estimator.n_neighbors, len(X)))
        estimator.fit(X, y)
        return {}


class SupportVector(Family):
    """Kernel support vector machine (RBF), with Platt-scaled probabilities for
    classification.

    On small, smooth, dense tables (pixels, chemistry, spectra) it beats every tree model;
    its fit costs grow with the square of the rows, so :func:`make_families` offers it only
    to small tables.
    """

    name = "svm"
    MAX_ROWS = 10_000

    def default(self, kind: str) -> dict[str, Any]:
        """C=1, gamma 'scale' (scikit-learn's defaults)."""
        return {"C": 1.0, "gamma": "scale"}

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """C and the kernel width on log scales."""
        n = self.name
        params: dict[str, Any] = {
            "C": trial.suggest_float(_p(n, "C"), 1e-2, 1e3, log=True),
            "gamma": trial.suggest_float(_p(n, "gamma"), 1e-4, 1.0, log=True),
        }
        if kind == "regression":
            params["epsilon"] = trial.suggest_float(_p(n, "epsilon"), 1e-3, 1.0, log=True)
        return params

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """Sigmoid-calibrated SVC, or SVR on the standardised target."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC, SVR

        if kind == "regression":
            # epsilon and C are on the target's scale: standardise it so one space fits all.
            return TransformedTargetRegressor(SVR(**params), transformer=StandardScaler())
        # Platt scaling fitted on 3 internal folds, one SVC refitted on all rows after
        # (what SVC(probability=True) did before scikit-learn 1.9 deprecated it).
        return CalibratedClassifierCV(SVC(**params), method="sigmoid", cv=3, ensemble=False)


class HistGradientBoosting(Family):
    """scikit-learn's histogram gradient boosting, early-stopped, grown in chunks of rounds."""

    name = "hist_gradient_boosting"
    CHUNK = 50

    def default(self, kind: str) -> dict[str, Any]:
        """scikit-learn's defaults exactly, so the search always contains that baseline."""
        return {
            "learning_rate": 0.1,
            "max_iter": 100,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 0.0,
            "class_weight": None,
        }

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Learning rate, tree size, leaf size, L2; class weights for classification."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "max_iter": trial.suggest_int(_p(n, "max_iter"), 50, 1000, log=True),
            "max_leaf_nodes": trial.suggest_int(_p(n, "leaves"), 7, 127, log=True),
            "min_samples_leaf": trial.suggest_int(_p(n, "msl"), 2, 200, log=True),
            "l2_regularization": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": _class_weight(trial, n, kind, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """HistGradientBoosting{Classifier,Regressor}; early stopping above 10k rows ('auto')."""
        from sklearn import ensemble

        cls = (
            ensemble.HistGradientBoostingRegressor
            if kind == "regression"
            else ensemble.HistGradientBoostingClassifier
        )
        return cls(**_estimator_kwargs(params, kind), early_stopping="auto", random_state=seed)

    def fit(
        self,
        estimator: BaseEstimator,
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

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_jobs = n_jobs

    def default(self, kind: str) -> dict[str, Any]:
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

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Learning rate, leaves, row/column sampling, L2, class weights."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int(_p(n, "leaves"), 4, 255, log=True),
            "min_child_samples": trial.suggest_int(_p(n, "mcs"), 2, 200, log=True),
            "subsample": trial.suggest_float(_p(n, "subsample"), 0.5, 1.0),
            "colsample_bytree": trial.suggest_float(_p(n, "colsample"), 0.3, 1.0),
            "reg_lambda": trial.suggest_float(_p(n, "l2"), 1e-6, 10.0, log=True),
            "class_weight": _class_weight(trial, n, kind, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """LGBMClassifier / LGBMRegressor, quiet, deterministic."""
        import lightgbm

        cls = lightgbm.LGBMRegressor if kind == "regression" else lightgbm.LGBMClassifier
        kwargs = _estimator_kwargs(params, kind)
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
        estimator: BaseEstimator,
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

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_jobs = n_jobs

    def default(self, kind: str) -> dict[str, Any]:
        """Depth 6, L2 3 (CatBoost's defaults) at learning rate 0.08."""
        return {"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0, "class_weight": None}

    def suggest(self, trial: optuna.Trial, kind: str) -> dict[str, Any]:
        """Learning rate, depth, L2; balanced class weights for classification."""
        n = self.name
        return {
            "learning_rate": trial.suggest_float(_p(n, "lr"), 0.02, 0.3, log=True),
            "depth": trial.suggest_int(_p(n, "depth"), 3, 8),
            "l2_leaf_reg": trial.suggest_float(_p(n, "l2"), 0.5, 30.0, log=True),
            "class_weight": _class_weight(trial, n, kind, [None, "Balanced"]),
        }

    def build(self, params: dict[str, Any], kind: str, seed: int) -> BaseEstimator:
        """CatBoostClassifier / CatBoostRegressor, quiet, writing no files."""
        import catboost

        kwargs = {k: v for k, v in params.items() if k != "class_weight"}
        kwargs.setdefault("iterations", self.MAX_ROUNDS)
        if kind == "regression":
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
        estimator: BaseEstimator,
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


def make_families(names: tuple[str, ...], n_rows: int, n_jobs: int = 1) -> dict[str, Family]:
    """The families named in the config, ready to search (``n_jobs`` threads per fit).

    Nearest neighbours and support vector machines are left out above their ``MAX_ROWS``
    training rows.
    """
    available: dict[str, Family] = {
        "linear": Linear(),
        "random_forest": RandomForest(n_rows, n_jobs),
        "extra_trees": ExtraTrees(n_rows, n_jobs),
        "hist_gradient_boosting": HistGradientBoosting(),
        "lightgbm": LightGBM(n_jobs),
        "catboost": CatBoost(n_jobs),
        "knn": NearestNeighbors(),
        "svm": SupportVector(),
    }
    too_big = {f.name for f in (NearestNeighbors, SupportVector) if n_rows > f.MAX_ROWS}
    names = tuple(n for n in names if n not in too_big)
    return {name: available[name] for name in names}
