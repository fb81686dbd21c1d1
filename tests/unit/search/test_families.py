"""Every search family fits, predicts, survives a pickle and reproduces its own size."""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Iterator
from unittest import mock

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from dbt_automl.search import FAMILY_NAMES, Candidate, Family, Fold, Study, make_families
from dbt_automl.search._study import KEEP_CANDIDATES, KEEP_PER_FAMILY, _Objective
from dbt_automl.tasks import TASKS, BinaryClassification, Task

BINARY = BinaryClassification()


@pytest.fixture(autouse=True)
def _one_openmp_thread() -> Iterator[None]:
    """Fits on one OpenMP thread, as the engine runs every search (``train``'s
    threadpool_limits at ``n_jobs``). Unlimited, HistGradientBoosting's many short parallel
    sections wait on each other when the machine is busy: 9 s for a 0.3 s multiclass fit."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _family(name: str, task: Task, n_rows: int) -> Family:
    return make_families((name,), task, n_rows=n_rows)[name]


def _data(task: Task) -> tuple[np.ndarray, np.ndarray]:
    if not task.is_classification:
        X, y = make_regression(n_samples=240, n_features=6, noise=5.0, random_state=0)
        return X, y
    n_classes = 2 if task == BINARY else 3
    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=n_classes, random_state=0
    )
    return X, y


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_default_fits_and_predicts_better_than_chance(name: str, task_name: str) -> None:
    task = TASKS[task_name]()
    X, y = _data(task)
    family = _family(name, task, len(y))
    estimator = family.build(family.default(task), task, seed=0)
    overrides = family.fit(estimator, X[:180], y[:180], (X[180:], y[180:]))
    restored = pickle.loads(pickle.dumps(estimator))
    if not task.is_classification:
        pred = restored.predict(X[180:])
        assert np.corrcoef(pred, y[180:])[0, 1] > 0.5
    else:
        proba = restored.predict_proba(X[180:])
        assert proba.shape == (60, len(np.unique(y)))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
        assert (proba.argmax(axis=1) == y[180:]).mean() > 0.5
    # What a fit learned about its own size is a parameter the final refit can take.
    refit = family.build({**family.default(task), **overrides}, task, seed=0)
    family.fit(refit, X, y)


def test_catboost_stops_at_the_deadline() -> None:
    X, y = _data(BINARY)
    family = _family("catboost", BINARY, len(y))
    estimator = family.build({**family.default(BINARY), "learning_rate": 0.001}, BINARY, 0)
    started = time.monotonic()
    grown = family.fit(estimator, X, y, deadline=started - 1)
    assert grown["iterations"] < 5


@pytest.mark.parametrize("task_name", ["binary", "regression"])
def test_catboost_predicts_on_the_threads_it_was_fitted_with(task_name: str) -> None:
    # CatBoost's own predict runs on every core, which made a trial's scoring cost (CPU
    # time) and the search's cores wrong; the pickled estimator keeps the behaviour.
    import catboost

    task = TASKS[task_name]()
    X, y = _data(task)
    family = _family("catboost", task, len(y))
    # 50 rounds: with no validation fold the default would grow all of MAX_ROUNDS (2,000).
    estimator = family.build({**family.default(task), "iterations": 50}, task, seed=0)
    family.fit(estimator, X, y)
    restored = pickle.loads(pickle.dumps(estimator))
    method = "predict_proba" if task.is_classification else "predict"
    base = catboost.CatBoostClassifier if task.is_classification else catboost.CatBoostRegressor
    with mock.patch.object(base, method, autospec=True, return_value=None) as library:
        getattr(restored, method)(X)
    assert library.call_args.kwargs["thread_count"] == family.n_jobs == 1


def test_neighbours_and_kernels_are_left_out_of_large_tables() -> None:
    small = make_families(FAMILY_NAMES, BINARY, n_rows=5_000)
    large = make_families(FAMILY_NAMES, BINARY, n_rows=50_000)
    assert {"knn", "svm"} <= set(small)
    assert not {"knn", "svm"} & set(large)
    assert set(large) == set(FAMILY_NAMES) - {"knn", "svm"}


def test_families_serve_only_the_tasks_they_declare() -> None:
    other = mock.Mock(spec=Task)  # a task no family declares, as forecasting will be
    assert make_families(FAMILY_NAMES, other, n_rows=100) == {}


def test_the_ensemble_pool_keeps_every_familys_best_trials() -> None:
    y = np.array([0, 1] * 10)
    fold = Fold(np.zeros((20, 1)), y, np.zeros((20, 1)), y)
    study = Study(BINARY, BINARY.metrics["roc_auc"], {}, 0, logging.getLogger("t"), "m")
    objective = _Objective(study, [fold])
    scores = [0.99 - i / 1000 for i in range(20)] + [0.6, 0.59, 0.58]
    families = ["lightgbm"] * 20 + ["linear"] * 3
    for number, (score, family) in enumerate(zip(scores, families, strict=True)):
        objective._keep(Candidate(number, family, {}, score, np.zeros((len(y), 2))))
    kept = [(c.family, c.score) for c in objective.candidates]
    assert len([f for f, _ in kept if f == "lightgbm"]) == max(KEEP_CANDIDATES, KEEP_PER_FAMILY)
    assert [s for f, s in kept if f == "linear"] == [0.6, 0.59][:KEEP_PER_FAMILY]
    assert kept[0] == ("lightgbm", 0.99)
