"""The engine through its public entry point: reproducibility, refits, budgets, bagging."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dbt_automl
from dbt_automl.config import parse_config
from dbt_automl.engine import TrainState, _final, search_budget, would_overrun
from dbt_automl.engine._choose import REFIT_RESERVE
from dbt_automl.search import FoldBagged, plan_validation
from tests.conftest import churn_like_frame


def test_same_seed_same_leaderboard_and_predictions() -> None:
    # Every family's default, then two TPE-sampled trials (the sampler's seed). Two folds keep
    # it cheap; test_behaviour_unchanged.py pins the default 5-fold x2 path trial for trial.
    frame = churn_like_frame(300, seed=3)
    settings = {
        "target": "is_churned",
        "id_columns": ["customer_id"],
        "max_trials": 10,
        "seed": 5,
        "cv_folds": 2,
    }
    runs = [dbt_automl.fit(frame, settings) for _ in range(2)]
    boards = [
        [(t.family, t.params, t.score, t.state) for t in run.result_.search.trials] for run in runs
    ]
    assert boards[0] == boards[1]
    np.testing.assert_array_equal(runs[0].predict_proba(frame), runs[1].predict_proba(frame))


def test_fit_outside_dbt_predicts_labels_in_target_values() -> None:
    frame = churn_like_frame(400, seed=4)
    frame["is_churned"] = np.where(frame["is_churned"], "left", "stayed")
    fitted = dbt_automl.fit(frame, {"target": "is_churned", "max_trials": 4})
    assert set(fitted.predict(frame)) <= {"left", "stayed"}
    assert fitted.result_.target.classes[1] == "left"  # the rarer class is the positive one


def test_budget_cap_keeps_at_least_one_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_AUTOML_MAX_TIME_BUDGET_S", "0.01")
    fitted = dbt_automl.fit(churn_like_frame(300), {"target": "is_churned"})
    assert [t.state for t in fitted.result_.search.trials].count("complete") >= 1
    assert isinstance(fitted.predict(pd.DataFrame(churn_like_frame(5))), np.ndarray)


def test_leaderboard_lists_only_finished_trials() -> None:
    # max_trials=2 leaves two of the four enqueued warm starts unrun ("waiting" in optuna).
    fitted = dbt_automl.fit(churn_like_frame(300), {"target": "is_churned", "max_trials": 2})
    states = [t.state for t in fitted.result_.search.trials]
    assert len(states) == 2 and set(states) <= {"complete", "pruned", "fail"}


def test_bagging_averages_fold_models_and_survives_a_pickle(tmp_path) -> None:
    import joblib

    frame = churn_like_frame(400, seed=6)
    settings = {"target": "is_churned", "max_trials": 4, "bagging": True, "cv_folds": 3}
    fitted = dbt_automl.fit(frame, settings)
    assert fitted.result_.decisions["final_model"].startswith("3 fold models")
    joblib.dump(fitted.result_.model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    from dbt_automl.preprocess import to_frame

    rows = to_frame(pa.Table.from_pandas(frame), fitted.result_.schema)
    np.testing.assert_allclose(loaded.predict_raw(rows), fitted.predict_proba(frame))


def test_refit_full_teaches_the_final_model_the_test_rows_too() -> None:
    frame = churn_like_frame(300, seed=8)
    # 4 folds instead of 5 x2: the same two-model ensemble (linear, lightgbm), fitted faster.
    base = {"target": "is_churned", "max_trials": 4, "cv_folds": 4}
    full = dbt_automl.fit(frame, base)
    held = dbt_automl.fit(frame, {**base, "refit_full": False})
    assert full.result_.decisions["final_model"].endswith("test rows included")
    assert held.result_.decisions["final_model"] == "members refitted on all training rows"
    # Same search, same test metrics (measured before the full refit), different final model.
    assert full.result_.test_metrics == held.result_.test_metrics
    assert not np.allclose(full.predict_proba(frame), held.predict_proba(frame))


def _state(**settings: object) -> TrainState:
    cfg = parse_config({"target": "y", **settings}, "m")
    return TrainState(pa.table({"y": [0, 1]}), cfg, logging.getLogger("t"))


def test_full_refit_is_skipped_when_it_would_overrun_the_budget() -> None:
    state = _state(time_budget_s=10)
    state.refit_s = 1.0
    assert not would_overrun(state)
    state.started -= 11.0
    assert not would_overrun(state)  # 12.25 <= 14
    state.started -= 2.0
    assert would_overrun(state)  # 14.25 > 14
    fresh = _state(time_budget_s=10)
    fresh.refit_s = 12.0
    assert would_overrun(fresh)


def test_refit_past_the_hard_deadline_stops_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_final, "hard_deadline", lambda state: time.monotonic() - 1.0)
    frame = churn_like_frame(400, seed=6)
    # The four cheap warm starts (linear, lightgbm, svm, knn): two members here, 5-fold x2.
    settings = {"target": "is_churned", "id_columns": ["customer_id"], "max_trials": 4}
    fitted = dbt_automl.fit(frame, settings)
    decisions = fitted.result_.decisions
    assert "time budget" in decisions["refit_cut"]
    # A cut refit is replaced by the search's complete fold models, every member kept.
    members = decisions["ensemble"]["members"].split("+")
    estimator = fitted.result_.model.estimator
    assert isinstance(estimator, FoldBagged)
    assert len(estimator.members) == len(members) and len(estimator.preprocessors) == 10
    assert "fold models" in decisions["final_model"]
    assert decisions["refit_full_skipped"]
    proba = fitted.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_sampled_search_leaves_part_of_the_budget_to_the_refit() -> None:
    y = np.arange(3000) % 2
    whole = _state(time_budget_s=100)
    whole.plan = plan_validation(y, True, whole.cfg)
    assert search_budget(whole) == 100
    sampled = _state(time_budget_s=100, search_max_rows=1_000)
    sampled.plan = plan_validation(y, True, sampled.cfg)
    assert search_budget(sampled) == pytest.approx(100 * (1 - REFIT_RESERVE))


def test_a_cut_refit_after_feature_selection_uses_the_fold_models_on_every_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_final, "hard_deadline", lambda state: time.monotonic() - 1.0)
    frame = churn_like_frame(600, seed=7)  # selection drops favourite_merchant here
    settings = {
        "target": "is_churned",
        "id_columns": ["customer_id"],
        "max_trials": 3,
        "cv_folds": 1,  # holdout: feature selection may drop columns
    }
    fitted = dbt_automl.fit(frame, settings)
    decisions = fitted.result_.decisions
    assert "refit_cut" in decisions
    selection = decisions["feature_selection"]
    # The fold models were fitted before the selection: the dropped columns come back
    # (a cut refit kept instead had compressed probabilities the threshold no longer fit).
    assert selection["restored"] and selection["dropped"] == []
    kept = fitted.result_.schema.names()
    assert set(selection["restored"]) <= set(kept)
    proba = fitted.result_.model.predict_raw(frame[kept])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert isinstance(fitted.result_.model.estimator, FoldBagged)
