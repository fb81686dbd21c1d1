"""Scoring twins predict exactly what their library predicts: compiled trees (whose cache
is checked) and CatBoost on one thread."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

import dbt_automl
from dbt_automl.registry import Registry, sha256_of
from dbt_automl.scoring import Scorer
from dbt_automl.scoring._compiled import (
    CACHE_DIR,
    MANIFEST,
    CompiledTrees,
    OneThreadCatBoost,
    _members,
)
from tests.conftest import churn_like_frame


def _registered(tmp_path, settings: dict) -> tuple:
    frame = churn_like_frame(200, seed=9)
    fitted = dbt_automl.fit(frame, {"id_columns": ["customer_id"], "max_trials": 2, **settings})
    metadata = {"features": fitted.result_.schema.to_dict(), "id_columns": []}
    version = Registry(tmp_path / "registry").register("m", fitted.model_, metadata)
    return fitted, version, pa.Table.from_pandas(frame, preserve_index=False)


@pytest.mark.parametrize(
    "settings",
    [
        # Boosting early-stopped on its validation fold: only the best iteration's trees.
        {"target": "is_churned", "families": ["lightgbm"], "bagging": True, "cv_folds": 3},
        {"target": "tier", "families": ["lightgbm", "hist_gradient_boosting"]},
        {"target": "tenure_days", "families": ["random_forest", "extra_trees"]},
        {"target": "is_churned", "families": ["hist_gradient_boosting", "random_forest"]},
    ],
    ids=["lightgbm-binary-folds", "multiclass", "regression", "binary-sklearn"],
)
def test_compiled_trees_equal_the_library_to_1e_9(tmp_path, settings: dict) -> None:
    fitted, version, table = _registered(tmp_path, settings)
    scorer = Scorer.load(version.path)
    members = _members(scorer.model.estimator)
    assert any(isinstance(m, CompiledTrees) for m in members), members
    expected = fitted.model_.predict_raw_arrow(table, fitted.result_.schema)
    np.testing.assert_allclose(scorer.raw(table), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("target", ["is_churned", "tier", "tenure_days"])
def test_catboost_scores_on_one_thread_with_the_library_s_outputs(tmp_path, target: str) -> None:
    settings = {"target": target, "families": ["catboost"], "bagging": True, "cv_folds": 3}
    fitted, version, table = _registered(tmp_path, settings)
    scorer = Scorer.load(version.path)
    members = _members(scorer.model.estimator)
    assert members and all(isinstance(m, OneThreadCatBoost) for m in members), members
    expected = fitted.model_.predict_raw_arrow(table, fitted.result_.schema)
    np.testing.assert_allclose(scorer.raw(table), expected, rtol=0, atol=1e-12)


def test_the_cache_is_reused_and_a_tampered_library_is_compiled_again(tmp_path) -> None:
    settings = {"target": "is_churned", "families": ["lightgbm"]}
    fitted, version, table = _registered(tmp_path, settings)
    first = Scorer.load(version.path).raw(table)
    library = next((version.path / CACHE_DIR).glob("*.so"))
    built = library.stat().st_mtime_ns
    Scorer.load(version.path)
    assert library.stat().st_mtime_ns == built  # reused, not compiled again
    library.write_bytes(library.read_bytes() + b"tampered")
    again = Scorer.load(version.path).raw(table)
    # Never loaded: a library with the recorded checksum was compiled in its place.
    assert (
        sha256_of(library)
        == json.loads((library.parent / MANIFEST).read_text())["sha256"][library.name]
    )
    assert not library.read_bytes().endswith(b"tampered")
    np.testing.assert_array_equal(again, first)
