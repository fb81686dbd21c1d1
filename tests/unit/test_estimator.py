"""dbt_automl.AutoML keeps the scikit-learn contract: params, clone, Pipeline, fitted state."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import dbt_automl
from dbt_automl import AutoML, SchemaMismatchError
from tests.conftest import churn_like_frame


def _xy(n: int = 300) -> tuple:
    frame = churn_like_frame(n, seed=5)
    return frame.drop(columns=["customer_id", "is_churned"]), frame["is_churned"]


def test_parameters_are_stored_as_given_and_clone_copies_them() -> None:
    model = AutoML(time_budget_s=5, max_trials=2, families=["linear"], costs=None)
    params = model.get_params()
    assert params["time_budget_s"] == 5 and params["families"] == ["linear"]
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    assert not hasattr(copy, "model_")
    assert model.set_params(seed=7).seed == 7


def test_fit_predict_and_fitted_state() -> None:
    X, y = _xy()
    model = AutoML(max_trials=3, seed=1).fit(X, y)
    assert model.task_ == "binary" and list(model.classes_) == [False, True]
    assert list(model.feature_names_in_) == list(X.columns) and model.n_features_in_ == 6
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert set(model.predict(X)) <= {False, True}
    assert 0.5 < model.score(X, y) <= 1
    assert "roc_auc" in model.test_metrics_


def test_regression_has_no_predict_proba_and_scores_r2() -> None:
    X, y = load_diabetes(return_X_y=True)
    model = AutoML(max_trials=2, families=["linear", "lightgbm"]).fit(X, y)
    assert model.task_ == "regression" and not hasattr(model, "predict_proba")
    assert list(model.feature_names_in_[:2]) == ["x0", "x1"]  # numpy input gets names
    assert model.score(X, y) > 0.3


def test_it_runs_inside_a_pipeline_on_numpy_input() -> None:
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), AutoML(max_trials=2, families=["linear"]))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert clone(pipe).steps[1][1].get_params()["max_trials"] == 2


def test_unfitted_and_mismatched_input_are_refused() -> None:
    X, y = _xy()
    with pytest.raises(NotFittedError):
        AutoML().predict(X)
    model = AutoML(max_trials=2, name="churn").fit(X, y)
    with pytest.raises(SchemaMismatchError, match=r"model churn, column 'tier'.*Fix:"):
        model.predict(X.drop(columns=["tier"]))


def test_fit_with_meta_automl_settings_returns_the_estimator() -> None:
    frame = churn_like_frame(300, seed=6)
    settings = {"target": "is_churned", "id_columns": ["customer_id"], "max_trials": 2}
    fitted = dbt_automl.fit(frame, settings)
    assert isinstance(fitted, AutoML) and fitted.get_params()["max_trials"] == 2
    assert "customer_id" not in fitted.feature_names_in_
    np.testing.assert_allclose(fitted.predict_proba(frame).sum(axis=1), 1.0)
