"""Model families: each is a small class with its search space (FLAML's idea).

A family also knows how to fit under a deadline: boosting stops adding rounds and forests
stop adding trees when time is up, so one slow trial cannot blow the time budget. What a fit
learned about its own size (early-stopped rounds, trees grown) is returned so that the
final refit reproduces it.

A family declares the tasks it serves (``tasks``, task classes) and the largest table it is
offered (``max_rows``); :func:`dbt_automl.search.make_families` honours both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from dbt_automl.tasks import Classification, Regression

if TYPE_CHECKING:
    from optuna import Trial

    from dbt_automl.tasks import Task

# Boosting rounds without improvement on the validation fold before a boosting fit stops.
PATIENCE = 50


class Family:
    """A learner family: a warm-start default, a search space, a constructor and a fit.

    Args:
        n_rows: training rows of the model (some families size themselves by it).
        n_jobs: threads one fit may use.
    """

    name: ClassVar[str] = ""
    tasks: ClassVar[tuple[type[Task], ...]] = (Classification, Regression)
    max_rows: ClassVar[int | None] = None  # offered only to tables up to this many rows

    def __init__(self, n_rows: int = 10_000, n_jobs: int = 1) -> None:
        self.n_rows = n_rows
        self.n_jobs = n_jobs

    def supports(self, task: Task) -> bool:
        """Whether the family can learn ``task``."""
        return isinstance(task, self.tasks)

    def default(self, task: Task) -> dict[str, Any]:
        """A configuration known to be good, tried first (warm start)."""
        raise NotImplementedError

    def suggest(self, trial: Trial, task: Task) -> dict[str, Any]:
        """Sample hyperparameters for one optuna trial."""
        raise NotImplementedError

    def build(self, params: dict[str, Any], task: Task, seed: int) -> Any:
        """An unfitted estimator for ``params``."""
        raise NotImplementedError

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None = None,
        deadline: float = float("inf"),
    ) -> dict[str, Any]:
        """Fit ``estimator``; return parameter overrides that a refit should use."""
        estimator.fit(X, y)
        return {}


def _p(family: str, name: str) -> str:
    # Parameter names are prefixed so that optuna treats each family's space separately.
    return f"{family}__{name}"


def _estimator_kwargs(
    params: dict[str, Any], task: Task, drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Search parameters as estimator arguments: regressors take no ``class_weight``."""
    kwargs = {k: v for k, v in params.items() if k != "class_weight" and k not in drop}
    if task.is_classification:
        kwargs["class_weight"] = params.get("class_weight")
    return kwargs


def _grow(
    estimator: Any,
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


def _class_weight(trial: Trial, family: str, task: Task, choices: list[Any]) -> Any:
    if not task.is_classification:
        return None
    return trial.suggest_categorical(_p(family, "class_weight"), choices)
