"""Test and validation splits, the search sample, and greedy ensembles."""

from __future__ import annotations

from typing import Any

import numpy as np

from dbt_automl.config import AutomlConfig, parse_config
from dbt_automl.search import Candidate, cv_splits, greedy_weights, holdout_split, plan_validation
from dbt_automl.search._splits import REPEAT_MAX_ROWS, search_rows
from dbt_automl.tasks import BinaryClassification

BINARY = BinaryClassification()


def _cfg(**settings: Any) -> AutomlConfig:
    return parse_config({"target": "y", "seed": 0, **settings}, "m")


def test_group_aware_splits_keep_groups_on_one_side() -> None:
    y = np.tile([0, 1], 100)
    groups = np.repeat(np.arange(40), 5)
    train, test = holdout_split(y, True, 0.2, 0, groups=groups)
    assert not set(groups[train]) & set(groups[test])
    for fold_train, fold_valid in cv_splits(y[train], True, 3, 0, groups=groups[train]):
        assert not set(groups[train][fold_train]) & set(groups[train][fold_valid])


def test_time_ordered_splits_validate_on_later_rows() -> None:
    times = np.random.default_rng(0).permutation(200).astype(float)
    y = np.arange(200) % 2
    train, test = holdout_split(y, True, 0.25, 0, times=times)
    assert times[train].max() < times[test].min()
    for fold_train, fold_valid in cv_splits(y[train], True, 3, 0, times=times[train]):
        assert times[train][fold_train].max() < times[train][fold_valid].min()


def test_greedy_ensemble_blends_complementary_models() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    # Two models, each right on a different half of the rows: the blend beats both.
    signal = np.where(y == 1, 0.8, 0.2)
    noise = rng.random(2000)
    half = np.arange(2000) < 1000
    a = np.where(half, signal, noise)
    b = np.where(~half, signal, noise)
    metric = BINARY.metrics["roc_auc"]
    cands = [
        Candidate(i, "f", {}, metric.fn(y, np.c_[1 - p, p], 0.5), np.c_[1 - p, p])
        for i, p in enumerate([a, b])
    ]
    weights, score = greedy_weights(cands, y, metric, BINARY)
    assert set(weights) == {0, 1} and abs(sum(weights.values()) - 1) < 1e-9
    assert score > max(c.score for c in cands)


def test_search_sample_is_stratified_and_time_sample_is_the_latest() -> None:
    y = (np.arange(10_000) % 50 == 0).astype(int)
    sample = search_rows(y, True, 2_000, 0)
    assert len(sample) == 2_000 and abs(y[sample].mean() - y.mean()) < 0.002
    times = np.arange(10_000, dtype=float)[::-1]
    latest = search_rows(y, True, 2_000, 0, times=times, train_idx=np.arange(10_000))
    assert times[latest].min() == 8_000


def test_small_tables_repeat_cross_validation_with_a_second_shuffle() -> None:
    y = np.arange(600) % 2
    plan = plan_validation(y, True, _cfg())
    assert plan.repeats == 2 and len(plan.folds) == 10 and plan.describe() == "5-fold x2"
    for shuffle in (plan.folds[:5], plan.folds[5:]):
        # Each shuffle validates every training row exactly once.
        assert sorted(np.concatenate([v for _, v in shuffle])) == list(range(len(plan.train)))
    assert not np.array_equal(plan.folds[0][1], plan.folds[5][1])
    big = plan_validation(np.arange(3 * REPEAT_MAX_ROWS) % 2, True, _cfg())
    assert big.repeats == 1 and len(big.folds) == 5
    chosen = plan_validation(y, True, _cfg(cv_folds=3))
    assert chosen.repeats == 1 and len(chosen.folds) == 3


def test_the_greedy_ensemble_keeps_within_the_prediction_cost_budget() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    signal, noise, half = np.where(y == 1, 0.8, 0.2), rng.random(2000), np.arange(2000) < 1000
    preds = [np.where(half, signal, noise), np.where(~half, signal, noise)]
    metric = BINARY.metrics["roc_auc"]
    cands = [
        Candidate(i, "f", {}, metric.fn(y, np.c_[1 - p, p], 0.5), np.c_[1 - p, p], cost_us=c)
        for i, (p, c) in enumerate(zip(preds, [4.0, 8.0], strict=True))
    ]
    blended, _ = greedy_weights(cands, y, metric, BINARY, max_cost_us=20.0)
    assert set(blended) == {0, 1}  # 12 us together: within 20
    alone, score = greedy_weights(cands, y, metric, BINARY, max_cost_us=10.0)
    assert alone == {0: 1.0} and score == cands[0].score  # the second would cost 12 > 10
