"""CatBoost estimators that predict on the threads they were fitted with.

CatBoost's own ``predict`` / ``predict_proba`` run on every core (``thread_count=-1``)
whatever ``thread_count`` the model was fitted with and whatever threadpoolctl says. During
the search that oversubscribed the cores trials already share, and it inflated the CPU cost
a trial's scoring is timed at: on 2,048 rows a 400-tree model burnt 17.6 ms of CPU on every
core against 1.7 ms on one, the same predictions. Imported only when CatBoost is used.
"""

from __future__ import annotations

from typing import Any

import catboost


def _fitted_threads(model: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    if "thread_count" in kwargs:  # the caller's choice (scoring passes 1)
        return kwargs
    # get_param reads one key; get_params deep-copies them all, on every predict call.
    threads = model.get_param("thread_count")
    return {**kwargs, "thread_count": -1 if threads is None else threads}


class CatBoostClassifier(catboost.CatBoostClassifier):
    """``catboost.CatBoostClassifier`` predicting on its fitted ``thread_count``."""

    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        """Class probabilities (CatBoost's), on the fitted number of threads."""
        return super().predict_proba(X, **_fitted_threads(self, kwargs))

    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Predicted classes (CatBoost's), on the fitted number of threads."""
        return super().predict(X, **_fitted_threads(self, kwargs))


class CatBoostRegressor(catboost.CatBoostRegressor):
    """``catboost.CatBoostRegressor`` predicting on its fitted ``thread_count``."""

    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Predicted values (CatBoost's), on the fitted number of threads."""
        return super().predict(X, **_fitted_threads(self, kwargs))
