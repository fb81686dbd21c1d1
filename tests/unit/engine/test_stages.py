"""Each stage of the engine on its own, and bad input that once crashed inside scikit-learn."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pytest

import dbt_automl
from dbt_automl import TrainingDataError
from dbt_automl.config import parse_config
from dbt_automl.engine import (
    SUPERVISED_STAGES,
    TrainState,
    decide,
    ensemble,
    plan_splits,
    prepare,
    search,
)
from tests.conftest import churn_like_frame


def _state(frame: object, **settings: object) -> TrainState:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame)
    cfg = parse_config({"target": "is_churned", "id_columns": ["customer_id"], **settings}, "m")
    return TrainState(table, cfg, logging.getLogger("test"))


def test_the_supervised_engine_reads_as_its_stages() -> None:
    names = [stage.__name__ for stage in SUPERVISED_STAGES]
    assert names == [
        "prepare",
        "plan_splits",
        "search",
        "ensemble",
        "select_features",
        "decide",
        "final_model",
        "evaluate",
        "refit_full",
        "describe",
    ]


def test_prepare_types_the_target_and_the_features() -> None:
    state = _state(churn_like_frame(200))
    prepare(state)
    assert state.task.name == "binary" and state.metric.name == "roc_auc"
    assert "customer_id" not in state.schema.names() and "tier" in state.schema.names()
    assert len(state.frame) == 200 and state.target.classes == [False, True]


def test_plan_splits_holds_out_test_rows_and_prepares_every_fold() -> None:
    state = _state(churn_like_frame(300), cv_folds=3)
    prepare(state)
    plan_splits(state)
    assert len(state.plan.test) == 60 and len(state.folds) == 3
    assert all(f.X_train.shape[1] == f.X_valid.shape[1] for f in state.folds)
    assert not set(state.plan.train) & set(state.plan.test)
    assert set(state.families) >= {"linear", "lightgbm"}


def test_search_ensemble_and_decide_fill_in_their_parts_of_the_state() -> None:
    state = _state(churn_like_frame(300), cv_folds=3, max_trials=3)
    for stage in (prepare, plan_splits, search, ensemble, decide):
        stage(state)
    assert len(state.search.trials) == 3 and state.search.candidates
    assert abs(sum(w for _, w in state.members) - 1) < 1e-9
    assert state.oof.shape == (len(state.plan.train), 2)
    assert 0 < state.decision.threshold < 1
    assert state.decisions["threshold"]["reason"] == "maximum F1"


def test_infinite_feature_values_are_clipped_like_outliers() -> None:
    frame = churn_like_frame(400, seed=1)
    frame.loc[:9, "spend_90d"] = np.inf
    frame.loc[10:12, "tenure_days"] = -np.inf
    fitted = dbt_automl.fit(frame, {"target": "is_churned", "max_trials": 3})
    decided = fitted.result_.decisions
    assert decided["infinite_values"] == {"tenure_days": 3, "spend_90d": 10}
    assert decided["preprocessing"]["spend_90d"]["infinite_values"] == 10
    proba = fitted.predict_proba(frame.head(20))
    assert np.isfinite(proba).all()


def test_a_class_with_a_single_row_is_left_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = churn_like_frame(300, seed=2)
    frame["tier"] = frame["tier"].astype(str)
    frame.loc[0, "tier"] = "diamond"
    settings = {"target": "tier", "max_trials": 2, "id_columns": ["customer_id"]}
    with caplog.at_level(logging.WARNING):
        fitted = dbt_automl.fit(frame, settings)
    assert list(fitted.classes_) == ["basic", "gold", "platinum"]
    assert fitted.result_.decisions["rare_classes_left_out"] == {"diamond": 1}
    assert "model model, column 'tier'" in caplog.text and "Fix:" in caplog.text


def test_a_table_too_small_to_split_is_refused_with_the_model_and_fix() -> None:
    with pytest.raises(TrainingDataError) as err:
        dbt_automl.fit(churn_like_frame(4), {"target": "is_churned"}, name="tiny_model")
    assert "model tiny_model" in str(err.value) and "4 rows" in str(err.value)
    assert "Fix:" in str(err.value)


def test_every_trial_records_its_prediction_cost_and_the_model_its_rows_per_second() -> None:
    fitted = dbt_automl.fit(churn_like_frame(300), {"target": "is_churned", "max_trials": 4})
    costs = [t.predict_us_per_row for t in fitted.result_.search.trials]
    assert all(c is not None and c > 0 for c in costs)
    scoring = fitted.result_.decisions["scoring"]
    assert scoring["expected_rows_per_s"] == pytest.approx(1e6 / scoring["predict_us_per_row"])
    # auto: small tables get a budget that lets scoring the training table take 2 s.
    assert fitted.result_.decisions["scoring_budget"]["us_per_row"] == pytest.approx(2e6 / 240)


def test_no_trial_within_the_scoring_budget_falls_back_to_the_cheapest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = {"target": "is_churned", "max_trials": 4, "max_predict_us_per_row": 1e-6}
    with caplog.at_level(logging.WARNING):
        fitted = dbt_automl.fit(churn_like_frame(300), settings)
    trials = fitted.result_.search.trials
    cheapest = min(trials, key=lambda t: t.predict_us_per_row)
    assert [m["trial"] for m in fitted.result_.ensemble] == [cheapest.number]
    assert "the cheapest" in fitted.result_.decisions["scoring_budget"]["fallback"]
    assert "max_predict_us_per_row" in caplog.text
