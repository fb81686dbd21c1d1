"""Instance-based and kernel families: k-nearest neighbours and an RBF support vector
machine, offered to small tables only (their cost grows with the rows)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dbt_automl.search._family import Family, _p

if TYPE_CHECKING:
    from optuna import Trial

    from dbt_automl.tasks import Task


class NearestNeighbors(Family):
    """k-nearest neighbours on the standardised features.

    Rarely the best model alone, but its errors differ from every tree model's, so it earns
    ensemble weight on small, smooth tables (digits, wine). Prediction costs grow with
    training rows times scored rows, so it is offered only to small tables (``max_rows``).
    """

    name = "knn"
    max_rows = 20_000

    def default(self, task: Task) -> dict[str, Any]:
        """10 neighbours weighted by distance."""
        return {"n_neighbors": 10, "weights": "distance", "p": 2}

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Neighbour count, weighting, Manhattan or Euclidean distance."""
        n = self.name
        return {
            "n_neighbors": trial.suggest_int(_p(n, "k"), 2, 100, log=True),
            "weights": trial.suggest_categorical(_p(n, "weights"), ["uniform", "distance"]),
            "p": trial.suggest_categorical(_p(n, "p"), [1, 2]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """KNeighborsClassifier / KNeighborsRegressor."""
        from sklearn import neighbors

        cls = (
            neighbors.KNeighborsClassifier
            if task.is_classification
            else neighbors.KNeighborsRegressor
        )
        return cls(**params)

    def fit(
        self,
        estimator: Any,
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
    its fit costs grow with the square of the rows, so it is offered only to small tables
    (``max_rows``).
    """

    name = "svm"
    max_rows = 10_000

    def default(self, task: Task) -> dict[str, Any]:
        """C=1, gamma 'scale' (scikit-learn's defaults)."""
        return {"C": 1.0, "gamma": "scale"}

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """C and the kernel width on log scales."""
        n = self.name
        params: dict[str, Any] = {
            "C": trial.suggest_float(_p(n, "C"), 1e-2, 1e3, log=True),
            "gamma": trial.suggest_float(_p(n, "gamma"), 1e-4, 1.0, log=True),
        }
        if not task.is_classification:
            params["epsilon"] = trial.suggest_float(_p(n, "epsilon"), 1e-3, 1.0, log=True)
        return params

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """Sigmoid-calibrated SVC, or SVR on the standardised target."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC, SVR

        if not task.is_classification:
            # epsilon and C are on the target's scale: standardise it so one space fits all.
            return TransformedTargetRegressor(SVR(**params), transformer=StandardScaler())
        # Platt scaling fitted on 3 internal folds, one SVC refitted on all rows after
        # (what SVC(probability=True) did before scikit-learn 1.9 deprecated it).
        return CalibratedClassifierCV(SVC(**params), method="sigmoid", cv=3, ensemble=False)
