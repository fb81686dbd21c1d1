"""The model lifecycle every task shares: when to retrain (``retrain``), when a new version
replaces the champion (``promotion``), and the run's ``--vars`` that force or pin."""

from __future__ import annotations

from dbt_automl.lifecycle._promote import (
    LOWER_IS_BETTER,
    Judgement,
    Scores,
    judge,
    recorded_score,
    recorded_scores,
)
from dbt_automl.lifecycle._retrain import (
    PIN_VAR,
    RETRAIN_ENV,
    RETRAIN_VAR,
    Newest,
    Verdict,
    dbt_flag,
    decide,
    forced,
    pinned_versions,
    run_vars,
)
from dbt_automl.lifecycle._settings import (
    DEFAULT_DRIFT_PSI,
    RULES,
    PromotionRule,
    RetrainPolicy,
    promotion_rule,
    retrain_policy,
)

LIFECYCLE_KEYS = frozenset({"retrain", "promotion"})

__all__ = [
    "DEFAULT_DRIFT_PSI",
    "LIFECYCLE_KEYS",
    "LOWER_IS_BETTER",
    "PIN_VAR",
    "RETRAIN_ENV",
    "RETRAIN_VAR",
    "RULES",
    "Judgement",
    "Newest",
    "PromotionRule",
    "RetrainPolicy",
    "Scores",
    "Verdict",
    "dbt_flag",
    "decide",
    "forced",
    "judge",
    "pinned_versions",
    "promotion_rule",
    "recorded_score",
    "recorded_scores",
    "retrain_policy",
    "run_vars",
]
