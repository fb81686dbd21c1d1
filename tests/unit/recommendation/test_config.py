"""The recommendation meta.automl block: defaults, required keys, values out of range."""

from __future__ import annotations

import pytest

from dbt_automl.errors import ConfigError
from dbt_automl.recommendation import CANDIDATES, is_recommendation, parse_recommend_config

BASE = {"task": "recommendation", "user_column": "customer_id", "item_column": "mcc"}


def test_defaults() -> None:
    cfg = parse_recommend_config(BASE, "offers")
    assert (cfg.n, cfg.holdout, cfg.metric, cfg.exclude_seen) == (10, 0.2, "precision_at_n", True)
    assert cfg.candidates == CANDIDATES and cfg.task == "recommendation"
    assert cfg.weight_column is None and cfg.time_column is None
    assert is_recommendation(BASE) and not is_recommendation({"task": "forecasting"})


def test_popularity_is_always_a_candidate_and_the_order_is_cheap_first() -> None:
    cfg = parse_recommend_config({**BASE, "candidates": ["bpr", "als"]}, "offers")
    assert cfg.candidates == ("popularity", "als", "bpr")


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"item_column": None}, r"offers, meta.automl.item_column: missing"),
        ({"user_column": ["a", "b"]}, r"user_column: expected one column name"),
        ({"n": 0}, r"meta.automl.n: must be in \[1, 1000\], got 0"),
        ({"n": 2.5}, r"meta.automl.n: expected a whole number"),
        ({"holdout": 0.9}, r"meta.automl.holdout: must be a share.*got 0.9"),
        ({"metric": "auc"}, r"meta.automl.metric: unknown metric 'auc'"),
        ({"candidates": ["svd"]}, r"meta.automl.candidates: unknown candidates \['svd'\]"),
        ({"exclude_seen": "yes"}, r"meta.automl.exclude_seen: must be true or false"),
        ({"time_budget_s": -1}, r"meta.automl.time_budget_s: must be > 0"),
        ({"weight_column": "mcc"}, r"named in more than one role"),
        ({"max_trials": 3}, r"unknown key\(s\) \['max_trials'\]"),
    ],
)
def test_bad_settings_name_the_model_the_key_and_the_fix(settings: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as raised:
        parse_recommend_config({**BASE, **settings}, "offers")
    assert "Fix:" in str(raised.value)
