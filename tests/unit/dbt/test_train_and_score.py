"""train() and score() on real DuckDB relations, as a python model calls them."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import (
    ChecksumMismatchError,
    RegistryError,
    SchemaMismatchError,
    TrainingDataError,
    score,
    train,
)


def _dbt(name: str) -> SimpleNamespace:
    # The only attribute of dbt's python-model object that the library reads.
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"')


def _settings(registry: Path, **extra: object) -> dict:
    return {
        "target": "is_churned",
        "task": "classification",
        "time_budget_s": 10,
        "max_trials": 4,  # one warm-start trial per family: quick and deterministic
        "id_columns": ["customer_id"],
        "registry_path": str(registry),
        **extra,
    }


def _store(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table | pa.RecordBatchReader):
    # Like dbt-duckdb: a stream is written through its own cursor while the reader drains.
    cursor = con.cursor()
    cursor.register("incoming", data)
    cursor.execute(f"create or replace table {name} as select * from incoming")
    cursor.unregister("incoming")
    cursor.close()
    return con.table(name)


@pytest.fixture
def trained(con, churn_table, tmp_path):
    registry = tmp_path / "registry"
    versions = train(_dbt("churn_model"), con, churn_table, _settings(registry))
    return _store(con, "churn_model", versions), registry


def test_train_registers_a_checksummed_version(trained) -> None:
    model_table, registry = trained
    row = model_table.filter("is_current").fetchall()
    assert len(row) == 1
    current = dict(zip(model_table.columns, row[0], strict=True))
    assert current["version"] == 1
    assert current["test_roc_auc"] > 0.6
    assert "test_rmse" not in current  # the task owns its columns: a classifier has no RMSE
    meta = json.loads((registry / "churn_model" / "v0001" / "metadata.json").read_text())
    assert meta["artifact"]["sha256"] == current["sha256"]
    assert meta["features"]["columns"] and meta["trials"]
    assert {c["name"] for c in meta["id_columns"]} == {"customer_id"}
    assert "customer_id" not in [c["name"] for c in meta["features"]["columns"]]
    assert not list((registry / "churn_model").glob(".tmp-*"))


def test_unchanged_data_reuses_the_version_and_changed_data_trains_a_new_one(
    trained, con, churn_table
) -> None:
    _, registry = trained
    again = train(_dbt("churn_model"), con, churn_table, _settings(registry))
    assert again.num_rows == 1
    con.execute("update features set spend_90d = spend_90d + 1 where customer_id < 50")
    newer = train(_dbt("churn_model"), con, con.table("features"), _settings(registry))
    assert newer.column("version").to_pylist() == [1, 2]
    assert newer.column("is_current").to_pylist() == [False, True]


def test_score_streams_predictions_with_probabilities(trained, con, churn_table) -> None:
    model_table, _ = trained
    reader = score(_dbt("churn_scores"), con, model=model_table, rows=churn_table, batch_size=128)
    assert isinstance(reader, pa.RecordBatchReader)
    scores = _store(con, "churn_scores", reader)
    n, keys, bad_sum, bad_range = con.sql(
        """select count(*), count(distinct customer_id),
                  count(*) filter (abs(list_sum(map_values(probabilities)) - 1) > 1e-9),
                  count(*) filter (probability < 0 or probability > 1)
           from churn_scores"""
    ).fetchall()[0]
    assert n == keys == churn_table.count("*").fetchall()[0][0]
    assert bad_sum == 0 and bad_range == 0
    assert set(scores.columns) >= {"prediction", "probability", "model_version", "scored_at"}
    # The positive class is True, so the map's 'true' entry is the probability column.
    assert (
        con.sql(
            "select count(*) from churn_scores where probabilities['true'] != probability"
        ).fetchall()[0][0]
        == 0
    )


def test_a_moved_registry_is_found_under_the_current_root(
    trained, con, churn_table, tmp_path, monkeypatch
) -> None:
    # The trained-model table records absolute paths; a project moved or restored elsewhere
    # (a CI cache) keeps its registry under the current root.
    model_table, registry = trained
    before = _store(con, "before", score(_dbt("s"), con, model=model_table, rows=churn_table))
    moved = registry.rename(tmp_path / "moved")
    monkeypatch.setenv("DBT_AUTOML_REGISTRY_PATH", str(moved))
    after = _store(con, "after", score(_dbt("s"), con, model=model_table, rows=churn_table))
    assert after.count("*").fetchall() == before.count("*").fetchall()
    differing = con.sql(
        "select count(*) from before join after using (customer_id) "
        "where before.probability != after.probability"
    )
    assert differing.fetchall()[0][0] == 0


def test_unseen_category_is_scored_not_fatal(trained, con) -> None:
    model_table, _ = trained
    con.execute("create table fresh as select * replace ('diamond' as tier) from features")
    reader = score(_dbt("s"), con, model=model_table, rows=con.table("fresh"))
    assert _store(con, "s", reader).count("*").fetchall()[0][0] > 0


def _used_numeric_feature(registry: Path) -> str:
    # Feature selection may drop weak columns; break one the model really uses.
    meta = json.loads((registry / "churn_model" / "v0001" / "metadata.json").read_text())
    return next(c["name"] for c in meta["features"]["columns"] if c["kind"] == "numeric")


def test_missing_feature_at_scoring_names_column_and_fix(trained, con) -> None:
    model_table, registry = trained
    column = _used_numeric_feature(registry)
    rows = con.sql(f"select * exclude ({column}) from features")
    with pytest.raises(SchemaMismatchError, match=rf"churn_scores.*'{column}'.*Fix:"):
        score(_dbt("churn_scores"), con, model=model_table, rows=rows)


def test_changed_column_type_at_scoring_names_column_and_fix(trained, con) -> None:
    model_table, registry = trained
    column = _used_numeric_feature(registry)
    rows = con.sql(f"select * replace ({column}::varchar as {column}) from features")
    with pytest.raises(SchemaMismatchError, match=rf"'{column}': was double.*now string.*Fix:"):
        score(_dbt("churn_scores"), con, model=model_table, rows=rows)


def test_tampered_model_file_is_never_loaded(trained, con, churn_table) -> None:
    model_table, registry = trained
    artifact = registry / "churn_model" / "v0001" / "model.joblib"
    artifact.write_bytes(artifact.read_bytes() + b"tampered")
    with pytest.raises(ChecksumMismatchError, match="refusing to load"):
        score(_dbt("churn_scores"), con, model=model_table, rows=churn_table)


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("select * exclude (is_churned) from features", "column 'is_churned'"),
        ("select * replace (false as is_churned) from features", "single class"),
        ("select * from features where false", "has no rows"),
    ],
)
def test_bad_training_data_fails_and_keeps_earlier_versions(
    trained, con, sql: str, fragment: str
) -> None:
    _, registry = trained
    with pytest.raises(TrainingDataError, match=fragment) as err:
        train(_dbt("churn_model"), con, con.sql(sql), _settings(registry))
    assert "churn_model" in str(err.value) and "Fix:" in str(err.value)
    assert sorted(p.name for p in (registry / "churn_model").iterdir()) == [
        "lifecycle.json",
        "v0001",
    ]


def test_regression_and_multiclass(con, tmp_path) -> None:
    con.execute(
        """create table t as select range as id, (range % 7)::double as x,
                  ['a','b','c'][1 + (range % 3)::int] as cls,
                  (range % 7) * 2.0 + (range % 3) as y
           from range(300)"""
    )
    reg = {"registry_path": str(tmp_path / "r"), "max_trials": 4, "id_columns": ["id"]}
    versions = train(_dbt("reg"), con, con.table("t"), {"target": "y", **reg})
    assert versions.column("task").to_pylist() == ["regression"]
    assert versions.column("test_r2").to_pylist()[0] > 0.5
    multi = train(
        _dbt("multi"), con, con.sql("select * exclude (y) from t"), {"target": "cls", **reg}
    )
    model = _store(con, "multi", multi)
    scores = _store(con, "ms", score(_dbt("ms"), con, model=model, rows=con.table("t")))
    assert "probability" not in scores.columns  # only binary models have one
    assert con.sql("select min(cardinality(probabilities)) from ms").fetchall()[0][0] == 3


def test_a_version_an_older_release_wrote_is_refused_then_retrained(
    trained, con, churn_table
) -> None:
    model_table, registry = trained
    meta_path = registry / "churn_model" / "v0001" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "format_version": 1}))
    with pytest.raises(RegistryError, match=r"registry format 1.*Fix: retrain"):
        score(_dbt("churn_scores"), con, model=model_table, rows=churn_table)
    # Same data, same settings: still retrained, since this release cannot load v1's file.
    versions = train(_dbt("churn_model"), con, churn_table, _settings(registry))
    assert versions.column("version").to_pylist() == [1, 2]
