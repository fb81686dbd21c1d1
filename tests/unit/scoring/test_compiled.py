"""Scoring twins predict exactly what their library predicts: compiled trees (whose cache
is checked), CatBoost on one thread, linear models as coefficients; the cached scoring
model loads without scikit-learn and is never loaded when tampered with."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dbt_automl
from dbt_automl.registry import Registry, sha256_of
from dbt_automl.scoring import Scorer
from dbt_automl.scoring._compiled import (
    CACHE_DIR,
    MANIFEST,
    SCORING_FILE,
    CompiledTrees,
    LinearTwin,
    OneThreadCatBoost,
    _members,
)
from dbt_automl.search import CatBoost, RandomForest
from tests.conftest import churn_like_frame


@pytest.fixture(autouse=True)
def _catboost_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """CatBoost capped at 200 rounds (default 2,000): a twin is compared with its library on
    every row, which 200 rounds test as well. On tenure_days (which signup_at gives away)
    CatBoost never early-stops: its two trials of three folds took ~13 s."""
    monkeypatch.setattr(CatBoost, "MAX_ROUNDS", 200)


def _forests_of(trees: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forest and extra-trees defaults with ``trees`` trees instead of 200."""
    default = RandomForest.default
    monkeypatch.setattr(
        RandomForest, "default", lambda self, task: {**default(self, task), "n_estimators": trees}
    )


def _registered(tmp_path, settings: dict) -> tuple:
    frame = churn_like_frame(200, seed=9)
    fitted = dbt_automl.fit(frame, {"id_columns": ["customer_id"], "max_trials": 2, **settings})
    metadata = {"features": fitted.result_.schema.to_dict(), "id_columns": []}
    version = Registry(tmp_path / "registry").register("m", fitted.model_, metadata)
    return fitted, version, pa.Table.from_pandas(frame, preserve_index=False)


BINARY_SKLEARN = {
    "target": "is_churned",
    "families": ["hist_gradient_boosting", "random_forest"],
    "cv_folds": 4,
}


@pytest.mark.parametrize(
    ("settings", "forest_trees"),
    [
        # Boosting early-stopped on its validation fold: only the best iteration's trees.
        ({"target": "is_churned", "families": ["lightgbm"], "bagging": True, "cv_folds": 3}, 0),
        ({"target": "tier", "families": ["lightgbm", "hist_gradient_boosting"]}, 0),
        # Full-depth regression trees: 200 cost ~7 s of gcc (~0.6 ms a node), and 50 already
        # catch features compared as float64 instead of float32 (15 of 200 rows differ).
        ({"target": "tenure_days", "families": ["random_forest", "extra_trees"]}, 50),
        # A binary forest needs its 200 trees to catch that (at 50 every row still agrees);
        # 4 folds fit it 4 times instead of 5 x2, and the ensemble still keeps it (1/3).
        (BINARY_SKLEARN, 0),
    ],
    ids=["lightgbm-binary-folds", "multiclass", "regression", "binary-sklearn"],
)
def test_compiled_trees_equal_the_library_to_1e_9(
    tmp_path, monkeypatch: pytest.MonkeyPatch, settings: dict, forest_trees: int
) -> None:
    if forest_trees:
        _forests_of(forest_trees, monkeypatch)
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


@pytest.mark.parametrize("target", ["is_churned", "tier", "tenure_days"])
def test_linear_members_score_as_coefficients_with_the_library_s_outputs(
    tmp_path, target: str
) -> None:
    fitted, version, table = _registered(tmp_path, {"target": target, "families": ["linear"]})
    scorer = Scorer.load(version.path)
    assert all(isinstance(m, LinearTwin) for m in _members(scorer.model.estimator))
    expected = fitted.model_.predict_raw_arrow(table, fitted.result_.schema)
    np.testing.assert_allclose(scorer.raw(table), expected, rtol=0, atol=1e-12)


LOAD_AND_SCORE = """
import sys
import numpy as np
import pyarrow.parquet as pq
from pathlib import Path
from dbt_automl.scoring import Scorer

scorer = Scorer.load(Path(sys.argv[1]))
np.save(sys.argv[3], scorer.raw(pq.read_table(sys.argv[2])))
heavy = sorted(set(sys.modules) & {"sklearn", "scipy.stats", "lightgbm"})
print(",".join(heavy) or "none")
"""


def test_a_cached_scoring_model_loads_and_scores_without_scikit_learn(tmp_path) -> None:
    # scikit-learn's import (scipy.stats through it) is ~1 s of every scoring process's
    # start-up: a version whose parts all have twins must not need it.
    settings = {"target": "is_churned", "families": ["lightgbm", "linear", "catboost"]}
    fitted, version, table = _registered(tmp_path, settings | {"max_trials": 6})
    Scorer.load(version.path)  # builds the cache, as the first scoring does
    pq.write_table(table, tmp_path / "rows.parquet")
    script = tmp_path / "score.py"
    script.write_text(LOAD_AND_SCORE)
    args = [version.path, tmp_path / "rows.parquet", tmp_path / "raw.npy"]
    out = subprocess.run(
        [sys.executable, str(script), *map(str, args)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "none", out.stdout
    expected = fitted.model_.predict_raw_arrow(table, fitted.result_.schema)
    np.testing.assert_allclose(np.load(tmp_path / "raw.npy"), expected, rtol=0, atol=1e-9)


def test_a_tampered_scoring_model_is_never_loaded(tmp_path) -> None:
    fitted, version, table = _registered(tmp_path, {"target": "is_churned"})
    first = Scorer.load(version.path).raw(table)
    pickled = version.path / CACHE_DIR / SCORING_FILE
    pickled.write_bytes(pickled.read_bytes() + b"tampered")
    again = Scorer.load(version.path).raw(table)
    recorded = json.loads((pickled.parent / MANIFEST).read_text())["sha256"][SCORING_FILE]
    assert sha256_of(pickled) == recorded  # rebuilt from the model file
    np.testing.assert_array_equal(again, first)
