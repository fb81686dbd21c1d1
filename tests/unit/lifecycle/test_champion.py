"""Champion and challenger with real fits: train() judges, score() serves the champion."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import score, train
from dbt_automl.registry import Registry
from tests.conftest import churn_like_frame

WEAK = ["tenure_days", "signup_at", "tier", "spend_90d"]  # leaves noise columns only


def _dbt(name: str) -> SimpleNamespace:
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"')


def _settings(registry: Path, **extra: object) -> dict:
    return {
        "target": "is_churned",
        "time_budget_s": 10,
        "max_trials": 2,
        "families": ["linear", "lightgbm"],
        "id_columns": ["customer_id"],
        "registry_path": str(registry),
        **extra,
    }


def _trained(con: duckdb.DuckDBPyConnection, rows: duckdb.DuckDBPyRelation, settings: dict):
    cursor = con.cursor()
    cursor.register("incoming", train(_dbt("churn_model"), con, rows, settings))
    cursor.execute("create or replace table churn_model as select * from incoming")
    cursor.close()
    return con.table("churn_model")


def _serving(model: duckdb.DuckDBPyRelation) -> dict[int, tuple[bool, str]]:
    found = model.project("version, is_current, status").fetchall()
    return {v: (bool(c), s) for v, c, s in found}


def _scored_by(con: duckdb.DuckDBPyConnection, model, rows) -> set[int]:
    scores = pa.table(score(_dbt("churn_scores"), con, model=model, rows=rows))
    return set(scores.column("model_version").to_pylist())


@pytest.fixture
def features(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    frame = churn_like_frame(n=1000)
    con.register("frame_view", frame)
    con.execute("create table features as select * from frame_view")
    return con.table("features")


def test_a_worse_challenger_is_kept_out_and_scoring_keeps_the_champion(
    con, features, tmp_path
) -> None:
    registry = tmp_path / "registry"
    _trained(con, features, _settings(registry))
    model = _trained(con, features, _settings(registry, exclude=WEAK))
    assert _serving(model) == {1: (True, "champion"), 2: (False, "rejected")}
    assert _scored_by(con, model, features) == {1}
    event = Registry(registry).history("churn_model")[-1]
    assert event["action"] == "rejected" and event["champion_version"] == 1
    assert event["challenger_score"] < event["champion_score"]
    # Same data, same split settings: both were measured on the very same test rows.
    assert "on the same held-out rows" in event["reason"]


def test_a_better_challenger_is_promoted_and_serves(con, features, tmp_path) -> None:
    registry = tmp_path / "registry"
    _trained(con, features, _settings(registry, exclude=WEAK))
    model = _trained(con, features, _settings(registry))
    assert _serving(model) == {1: (False, "retired"), 2: (True, "champion")}
    assert _scored_by(con, model, features) == {2}


def test_the_champion_is_judged_on_new_rows_it_never_saw(con, features, tmp_path) -> None:
    registry = tmp_path / "registry"
    _trained(con, features, _settings(registry))
    newer = churn_like_frame(n=1600, seed=1)
    newer["customer_id"] += 1000  # 1,600 new customers next to the first 1,000
    con.register("newer_view", newer)
    con.execute("insert into features select * from newer_view")
    _trained(con, con.table("features"), _settings(registry))
    event = Registry(registry).history("churn_model")[-1]
    assert event["champion_score"] is not None and event["version"] == 2
    assert "on the same held-out rows" in event["reason"]
    meta = json.loads((registry / "churn_model" / "v0001" / "metadata.json").read_text())
    assert meta["artifact"]["files"]["rows.npy"]  # the keys it trained on, checksummed


def test_a_floor_keeps_even_the_first_version_out(con, features, tmp_path) -> None:
    registry = tmp_path / "registry"
    settings = _settings(registry, exclude=WEAK, promotion={"threshold": 0.95})
    model = _trained(con, features, settings)
    assert _serving(model) == {1: (False, "rejected")}
    with pytest.raises(Exception, match="no version of churn_model serves: v1 was not promoted"):
        score(_dbt("churn_scores"), con, model=model, rows=features)
