"""Linear models: logistic regression and ridge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_automl.search._family import Family, _class_weight, _p

if TYPE_CHECKING:
    from optuna import Trial

    from dbt_automl.tasks import Task


class Linear(Family):
    """Logistic regression (classification) or ridge (regression), L2-regularised."""

    name = "linear"

    def default(self, task: Task) -> dict[str, Any]:
        """C=1 / alpha=1."""
        return {"C": 1.0, "class_weight": None} if task.is_classification else {"alpha": 1.0}

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Regularisation strength on a log scale; class weights for classification."""
        if not task.is_classification:
            return {"alpha": trial.suggest_float(_p(self.name, "alpha"), 1e-3, 1e3, log=True)}
        return {
            "C": trial.suggest_float(_p(self.name, "C"), 1e-3, 1e2, log=True),
            "class_weight": _class_weight(trial, self.name, task, [None, "balanced"]),
        }

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """LogisticRegression or Ridge."""
        from sklearn.linear_model import LogisticRegression, Ridge

        if not task.is_classification:
            return Ridge(alpha=params["alpha"])
        return LogisticRegression(C=params["C"], class_weight=params["class_weight"], max_iter=500)
