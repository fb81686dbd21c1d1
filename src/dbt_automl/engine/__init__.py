"""The staged engine: training is a sequence of short stages over one :class:`TrainState`.

A task names its stages (:meth:`dbt_automl.tasks.Task.stages`); supervised tasks run
:data:`SUPERVISED_STAGES`. A new task swaps or skips stages instead of adding branches.
Registering the result is the caller's step (the dbt glue registers, a notebook need not).
"""

from __future__ import annotations

import warnings

import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.config import AutomlConfig
from dbt_automl.engine._choose import decide, ensemble, search, search_budget, select_features
from dbt_automl.engine._final import (
    describe,
    evaluate,
    final_model,
    hard_deadline,
    limit_s,
    refit_full,
    would_overrun,
)
from dbt_automl.engine._prepare import plan_splits, prepare
from dbt_automl.engine._state import Stage, TrainResult, TrainState
from dbt_automl.tasks import group_of

SUPERVISED_STAGES: tuple[Stage, ...] = (
    prepare,
    plan_splits,
    search,
    ensemble,
    select_features,
    decide,
    final_model,
    evaluate,
    refit_full,
    describe,
)


def run_stages(state: TrainState) -> TrainResult:
    """Run the task's stages over ``state`` and return the result.

    The task (or group of tasks) comes first, from ``meta.automl.task`` or the target's
    type, since it decides which stages run.
    """
    for stage in group_of(state.table[state.cfg.target], state.cfg).stages():
        stage(state)
    return TrainResult.of(state)


def train(table: pa.Table, cfg: AutomlConfig, log: Logger) -> TrainResult:
    """Train the best model the budget allows on ``table`` (features + target + ids).

    Raises:
        TrainingDataError: too few rows, a single class, or a target the task cannot use.
        ConfigError: a setting the task cannot honour (e.g. a metric of another task).
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    # dbt runs models side by side (profile `threads`), so one model takes n_jobs cores
    # (default 1). Oversubscribed OpenMP/BLAS spin instead of computing: 50-100x slower fits
    # were measured with two models on 2 cores. BLAS never helps on these matrix sizes.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        threadpool_limits(limits=cfg.n_jobs if cfg.n_jobs > 0 else None, user_api="openmp"),
        warnings.catch_warnings(),
    ):
        # An unconverged trial is still a valid trial: its score says how good it is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return run_stages(TrainState(table, cfg, log))


__all__ = [
    "SUPERVISED_STAGES",
    "Stage",
    "TrainResult",
    "TrainState",
    "decide",
    "describe",
    "ensemble",
    "evaluate",
    "final_model",
    "hard_deadline",
    "limit_s",
    "plan_splits",
    "prepare",
    "refit_full",
    "run_stages",
    "search",
    "search_budget",
    "select_features",
    "train",
    "would_overrun",
]
