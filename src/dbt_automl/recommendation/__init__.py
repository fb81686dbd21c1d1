"""Recommendations (``task: recommendation``): top-N items per user from interactions.

Its own task module beside the supervised engine: :func:`prepare_interactions` turns an
interactions table (user, item, optional weight and time) into one row per (user, item),
refusing or stating a fallback for every problem; :func:`train_recommender` searches the
candidates (popularity, item-item cosine, ALS and BPR from ``implicit``) on a time-ordered
validation holdout under the time budget, measures the chosen one against popularity on the
test holdout (each user's latest interactions) and refits it on everything;
:class:`RecommendModel` is what a registry version holds and recommends from (cold-start
users get the popular items, and say so).
"""

from __future__ import annotations

from dbt_automl.recommendation._config import (
    CANDIDATES,
    METRICS,
    RECOMMEND_TASK,
    RecommendConfig,
    is_recommendation,
    parse_recommend_config,
)
from dbt_automl.recommendation._data import Interactions, prepare_interactions
from dbt_automl.recommendation._engine import RecommendResult, train_recommender
from dbt_automl.recommendation._model import RecommendModel

__all__ = [
    "CANDIDATES",
    "METRICS",
    "RECOMMEND_TASK",
    "Interactions",
    "RecommendConfig",
    "RecommendModel",
    "RecommendResult",
    "is_recommendation",
    "parse_recommend_config",
    "prepare_interactions",
    "train_recommender",
]
