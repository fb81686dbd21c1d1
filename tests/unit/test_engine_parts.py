"""Splits, ensembles, calibration, thresholds and reproducibility of the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dbt_automl
from dbt_automl._calibrate import calibration_curve, choose_calibrator
from dbt_automl._ensemble import FoldBagged, greedy_weights
from dbt_automl._search import Candidate
from dbt_automl._splits import cv_splits, holdout_split
from dbt_automl._tasks import metric_for, tune_threshold
from tests.conftest import churn_like_frame


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
    metric = metric_for("binary", "roc_auc")
    cands = [
        Candidate(i, "f", {}, metric.fn(y, np.c_[1 - p, p], 0.5), np.c_[1 - p, p])
        for i, p in enumerate([a, b])
    ]
    weights, score = greedy_weights(cands, y, metric, "binary")
    assert set(weights) == {0, 1} and abs(sum(weights.values()) - 1) < 1e-9
    assert score > max(c.score for c in cands)


def test_calibration_fixes_overconfident_probabilities() -> None:
    rng = np.random.default_rng(1)
    p_true = rng.random(5000)
    y = (rng.random(5000) < p_true).astype(int)
    overconfident = np.clip(p_true + 0.4 * (p_true - 0.5) * 2, 0.001, 0.999)
    proba = np.c_[1 - overconfident, overconfident]
    calibrator, evidence = choose_calibrator("binary", proba, y)
    assert calibrator is not None
    assert evidence["oof_log_loss_after"] < evidence["oof_log_loss_before"]
    curve = calibration_curve(y, calibrator.transform(proba)[:, 1])
    assert all(
        abs(b["mean_predicted"] - b["observed_rate"]) < 0.1 for b in curve if b["count"] > 200
    )


def test_cost_matrix_moves_the_threshold() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(3000) < 0.1).astype(int)
    p = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.2, 3000), 0, 1)
    cheap_misses, _ = tune_threshold(y, p, "roc_auc", {"false_positive": 10, "false_negative": 1})
    costly_misses, why = tune_threshold(
        y, p, "roc_auc", {"false_positive": 1, "false_negative": 50}
    )
    assert costly_misses < cheap_misses
    assert why.startswith("minimum expected cost")


def test_same_seed_same_leaderboard_and_predictions() -> None:
    frame = churn_like_frame(500, seed=3)
    settings = {"target": "is_churned", "id_columns": ["customer_id"], "max_trials": 8, "seed": 5}
    runs = [dbt_automl.fit(frame, settings) for _ in range(2)]
    boards = [
        [(t.family, t.params, t.score, t.state) for t in run.result.search.trials] for run in runs
    ]
    assert boards[0] == boards[1]
    np.testing.assert_array_equal(runs[0].predict_proba(frame), runs[1].predict_proba(frame))


def test_fit_outside_dbt_predicts_labels_in_target_values() -> None:
    frame = churn_like_frame(400, seed=4)
    frame["is_churned"] = np.where(frame["is_churned"], "left", "stayed")
    fitted = dbt_automl.fit(frame, {"target": "is_churned", "max_trials": 4})
    assert set(fitted.predict(frame)) <= {"left", "stayed"}
    assert fitted.result.target.classes[1] == "left"  # the rarer class is the positive one


def test_budget_cap_keeps_at_least_one_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_AUTOML_MAX_TIME_BUDGET_S", "0.01")
    fitted = dbt_automl.fit(churn_like_frame(300), {"target": "is_churned"})
    assert [t.state for t in fitted.result.search.trials].count("complete") >= 1
    assert isinstance(fitted.predict(pd.DataFrame(churn_like_frame(5))), np.ndarray)


def test_search_sample_is_stratified_and_time_sample_is_the_latest() -> None:
    from dbt_automl._splits import search_rows

    y = (np.arange(10_000) % 50 == 0).astype(int)
    sample = search_rows(y, True, 2_000, 0)
    assert len(sample) == 2_000 and abs(y[sample].mean() - y.mean()) < 0.002
    times = np.arange(10_000, dtype=float)[::-1]
    latest = search_rows(y, True, 2_000, 0, times=times, train_idx=np.arange(10_000))
    assert times[latest].min() == 8_000


def test_leaderboard_lists_only_finished_trials() -> None:
    # max_trials=2 leaves two of the four enqueued warm starts unrun ("waiting" in optuna).
    fitted = dbt_automl.fit(churn_like_frame(300), {"target": "is_churned", "max_trials": 2})
    states = [t.state for t in fitted.result.search.trials]
    assert len(states) == 2 and set(states) <= {"complete", "pruned", "fail"}


def test_bagging_averages_fold_models_and_survives_a_pickle(tmp_path) -> None:
    import joblib

    frame = churn_like_frame(400, seed=6)
    settings = {"target": "is_churned", "max_trials": 4, "bagging": True, "cv_folds": 3}
    fitted = dbt_automl.fit(frame, settings)
    assert fitted.result.decisions["final_model"].startswith("3 fold models")
    joblib.dump(fitted.result.model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    from dbt_automl._preprocess import to_frame

    rows = to_frame(pa.Table.from_pandas(frame), fitted.result.schema)
    np.testing.assert_allclose(loaded.predict_raw(rows), fitted.predict_proba(frame))


def test_refit_full_teaches_the_final_model_the_test_rows_too() -> None:
    frame = churn_like_frame(300, seed=8)
    base = {"target": "is_churned", "max_trials": 4}
    full = dbt_automl.fit(frame, base)
    held = dbt_automl.fit(frame, {**base, "refit_full": False})
    assert full.result.decisions["final_model"].endswith("test rows included")
    assert held.result.decisions["final_model"] == "members refitted on all training rows"
    # Same search, same test metrics (measured before the full refit), different final model.
    assert full.result.test_metrics == held.result.test_metrics
    assert not np.allclose(full.predict_proba(frame), held.predict_proba(frame))


def test_full_refit_is_skipped_when_it_would_overrun_the_budget() -> None:
    import time

    from dbt_automl._config import parse_config
    from dbt_automl._train import _would_overrun

    cfg = parse_config({"target": "y", "time_budget_s": 10}, "m")
    now = time.perf_counter()
    assert not _would_overrun(cfg, start=now, refit_s=1.0)
    assert not _would_overrun(cfg, start=now - 11.0, refit_s=1.0)  # 12.25 <= 14
    assert _would_overrun(cfg, start=now - 13.0, refit_s=1.0)  # 14.25 > 14
    assert _would_overrun(cfg, start=now, refit_s=12.0)


def test_small_tables_repeat_cross_validation_with_a_second_shuffle() -> None:
    from dbt_automl._splits import REPEAT_MAX_ROWS, plan_validation

    y = np.arange(600) % 2
    plan = plan_validation(y, True, 0.2, 0, 50_000)
    assert plan.repeats == 2 and len(plan.folds) == 10 and plan.describe() == "5-fold x2"
    for shuffle in (plan.folds[:5], plan.folds[5:]):
        # Each shuffle validates every training row exactly once.
        assert sorted(np.concatenate([v for _, v in shuffle])) == list(range(len(plan.train)))
    assert not np.array_equal(plan.folds[0][1], plan.folds[5][1])
    big = plan_validation(np.arange(3 * REPEAT_MAX_ROWS) % 2, True, 0.2, 0, 50_000)
    assert big.repeats == 1 and len(big.folds) == 5
    chosen = plan_validation(y, True, 0.2, 0, 50_000, folds=3)
    assert chosen.repeats == 1 and len(chosen.folds) == 3


def test_refit_past_the_hard_deadline_stops_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import dbt_automl._train as train

    monkeypatch.setattr(train, "_hard_deadline", lambda cfg, start: time.monotonic() - 1.0)
    frame = churn_like_frame(400, seed=6)
    settings = {"target": "is_churned", "id_columns": ["customer_id"], "max_trials": 8}
    fitted = dbt_automl.fit(frame, settings)
    decisions = fitted.result.decisions
    assert "time budget" in decisions["refit_cut"]
    # A cut refit is replaced by the search's complete fold models, every member kept.
    members = decisions["ensemble"]["members"].split("+")
    estimator = fitted.result.model.estimator
    assert isinstance(estimator, FoldBagged)
    assert len(estimator.members) == len(members) and len(estimator.preprocessors) == 10
    assert "fold models" in decisions["final_model"]
    assert decisions["refit_full_skipped"]
    proba = fitted.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_sampled_search_leaves_part_of_the_budget_to_the_refit() -> None:
    from dbt_automl._config import parse_config
    from dbt_automl._splits import plan_validation
    from dbt_automl._train import REFIT_RESERVE, _search_budget

    cfg = parse_config({"target": "y", "time_budget_s": 100}, "m")
    y = np.arange(3000) % 2
    assert _search_budget(cfg, plan_validation(y, True, 0.2, 0, 50_000)) == 100
    sampled = plan_validation(y, True, 0.2, 0, 1_000)
    assert _search_budget(cfg, sampled) == pytest.approx(100 * (1 - REFIT_RESERVE))


def test_a_cut_refit_after_feature_selection_keeps_the_refit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    import dbt_automl._train as train

    monkeypatch.setattr(train, "_hard_deadline", lambda cfg, start: time.monotonic() - 1.0)
    frame = churn_like_frame(600, seed=7)  # selection drops favourite_merchant here
    settings = {
        "target": "is_churned",
        "id_columns": ["customer_id"],
        "max_trials": 3,
        "cv_folds": 1,  # holdout: feature selection may drop columns
    }
    fitted = dbt_automl.fit(frame, settings)
    decisions = fitted.result.decisions
    assert "refit_cut" in decisions
    dropped = decisions["feature_selection"]["dropped"]
    kept = fitted.result.schema.names()
    # Whatever was chosen, the model scores a frame that has only the kept columns.
    proba = fitted.result.model.predict_raw(frame[kept])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert dropped
    assert not isinstance(fitted.result.model.estimator, FoldBagged)
