"""The search: model families, the optuna study, splits, ensembles and feature selection.

Families are registered once, here, in warm-start order: fast, strong learners first, the
slowest last. Each declares its name, the tasks it serves and the largest table it is
offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbt_automl.search._boosting import CatBoost, HistGradientBoosting, LightGBM
from dbt_automl.search._ensemble import (
    FoldBagged,
    PreparedFolds,
    WeightedEnsemble,
    greedy_weights,
)
from dbt_automl.search._family import Family
from dbt_automl.search._forests import ExtraTrees, RandomForest
from dbt_automl.search._kernel import NearestNeighbors, SupportVector
from dbt_automl.search._linear import Linear
from dbt_automl.search._selection import fold_model, permutation_importance, useless, without
from dbt_automl.search._splits import ValidationPlan, cv_splits, holdout_split, plan_validation
from dbt_automl.search._study import Candidate, Fold, SearchResult, Study, TrialRecord

if TYPE_CHECKING:
    from dbt_automl.tasks import Task

FAMILIES: tuple[type[Family], ...] = (
    Linear,
    LightGBM,
    SupportVector,
    NearestNeighbors,
    HistGradientBoosting,
    RandomForest,
    ExtraTrees,
    CatBoost,
)
FAMILY_NAMES: tuple[str, ...] = tuple(family.name for family in FAMILIES)


def make_families(
    names: tuple[str, ...], task: Task, n_rows: int, n_jobs: int = 1
) -> dict[str, Family]:
    """The families named in the config (in its order: the default is warm-start order)
    that serve ``task`` and accept ``n_rows`` training rows, ready to search (``n_jobs``
    threads per fit)."""
    by_name = {family.name: family for family in FAMILIES}
    chosen = [by_name[name](n_rows, n_jobs) for name in names]
    return {
        family.name: family
        for family in chosen
        if family.supports(task) and (family.max_rows is None or n_rows <= family.max_rows)
    }


__all__ = [
    "FAMILIES",
    "FAMILY_NAMES",
    "Candidate",
    "Family",
    "Fold",
    "FoldBagged",
    "PreparedFolds",
    "SearchResult",
    "Study",
    "TrialRecord",
    "ValidationPlan",
    "WeightedEnsemble",
    "cv_splits",
    "fold_model",
    "greedy_weights",
    "holdout_split",
    "make_families",
    "permutation_importance",
    "plan_validation",
    "useless",
    "without",
]
