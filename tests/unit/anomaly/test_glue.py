"""dbt_automl's anomaly glue on real DuckDB relations, as a python model calls it."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import train
from dbt_automl.dbt._anomaly import detect_anomalies, train_detector
from dbt_automl.errors import RegistryError, SchemaMismatchError

from .conftest import N_PLANTED, settings, table_of, transactions


def _dbt(name: str) -> SimpleNamespace:
    # The only attribute of dbt's python-model object that the library reads.
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"')


def _store(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> duckdb.DuckDBPyRelation:
    con.register("incoming", table)
    con.execute(f"create or replace table {name} as select * from incoming")
    con.unregister("incoming")
    return con.table(name)


@pytest.fixture
def lake(con: duckdb.DuckDBPyConnection, tmp_path: Path):
    features = _store(con, "transaction_features", table_of(transactions()))
    block = settings(
        label_column="is_fraud",
        families=["hbos", "ecod", "iforest"],
        registry_path=str(tmp_path / "registry"),
    )
    return con, features, block, tmp_path / "registry"


def test_train_registers_a_version_with_metrics_the_generic_tests_read(lake) -> None:
    con, features, block, registry = lake
    versions = train_detector(_dbt("fraud_detector"), con, features, block)
    row = versions.to_pylist()[0]
    assert versions.num_rows == 1 and row["is_current"] and row["version"] == 1
    assert row["task"] == "anomaly" and row["target"] == "is_fraud"
    assert row["family"] in {"hbos", "ecod", "iforest", "ensemble"}
    for metric in ("flag_rate", "precision_at_flagged", "recall_at_flagged", "roc_auc"):
        assert 0 <= row[f"test_{metric}"] <= 1
    assert row["test_iforest_roc_auc"] is not None
    assert row["n_labelled"] == 46 and row["n_labelled_anomalies"] == 6
    assert row["threshold"] == pytest.approx(1 - row["contamination"])
    assert {r["family"] for r in json.loads(row["leaderboard"])} >= {"hbos", "iforest"}
    decisions = json.loads(row["decisions"])
    assert decisions["labels"]["used_for"] == ["detector", "threshold"]
    meta = json.loads((registry / "fraud_detector" / "v0001" / "metadata.json").read_text())
    assert meta["id_columns"] == [{"name": "transaction_id", "duckdb_type": "BIGINT"}]
    assert meta["artifact"]["sha256"] == row["sha256"]


def test_unchanged_data_reuses_v1_and_changed_data_trains_v2(lake) -> None:
    con, features, block, _ = lake
    train_detector(_dbt("fraud_detector"), con, features, block)
    again = train(_dbt("fraud_detector"), con, features, block)  # dispatched by task: anomaly
    assert again.num_rows == 1
    con.execute("update transaction_features set amount = amount * 2 where transaction_id < 70")
    newer = train_detector(_dbt("fraud_detector"), con, con.table("transaction_features"), block)
    assert newer.column("version").to_pylist() == [1, 2]
    # v2 was judged against v1 on the same labelled rows, and the reason says so.
    reason = newer.column("status_reason").to_pylist()[1]
    assert "precision_at_flagged" in reason and "on the same labelled rows" in reason
    assert newer.column("is_current").to_pylist() == [False, True], reason


def test_without_labels_the_label_metrics_are_null(con, tmp_path: Path) -> None:
    frame = transactions().drop(columns=["is_fraud"])
    features = _store(con, "transaction_features", table_of(frame))
    block = settings(contamination=0.02, registry_path=str(tmp_path), families=["ecod", "hbos"])
    row = train_detector(_dbt("fraud_detector"), con, features, block).to_pylist()[0]
    assert row["test_flag_rate"] == pytest.approx(0.02)
    assert row["test_precision_at_flagged"] is None and row["test_roc_auc"] is None
    assert row["target"] is None and row["family"] == "ensemble"


def test_detect_anomalies_writes_ids_scores_flags_and_the_version(lake) -> None:
    con, features, block, _ = lake
    model = _store(
        con, "fraud_detector", train_detector(_dbt("fraud_detector"), con, features, block)
    )
    # New rows need no label column.
    rows = con.sql("select * exclude (is_fraud) from transaction_features")
    scored = detect_anomalies(_dbt("fraud_anomalies"), con, model, rows, batch_size=128)
    assert scored.column_names == [
        "transaction_id",
        "anomaly_score",
        "is_anomaly",
        "raw_score",
        "model_name",
        "model_version",
        "scored_at",
        "source_fingerprint",  # what made the table: reused when unchanged
    ]
    assert scored.schema.field("transaction_id").type == pa.int64()
    assert scored.schema.field("model_version").type == pa.int32()
    frame = scored.to_pandas()
    assert len(frame) == 600 and frame["anomaly_score"].between(0, 1).all()
    planted = frame["transaction_id"].isin([7 * (i + 1) for i in range(N_PLANTED)])
    assert frame.loc[planted, "is_anomaly"].mean() >= 0.9
    assert set(frame["model_name"]) == {"fraud_detector"} and set(frame["model_version"]) == {1}
    # Batches do not change a row's score.
    whole = detect_anomalies(_dbt("fraud_anomalies"), con, model, rows).to_pandas()
    assert (whole["anomaly_score"] == frame["anomaly_score"]).all()


def test_detect_anomalies_refuses_rows_without_the_id_column(lake) -> None:
    con, features, block, _ = lake
    model = _store(
        con, "fraud_detector", train_detector(_dbt("fraud_detector"), con, features, block)
    )
    rows = con.sql("select * exclude (transaction_id) from transaction_features")
    with pytest.raises(SchemaMismatchError) as err:
        detect_anomalies(_dbt("fraud_anomalies"), con, model, rows)
    assert err.value.column == "transaction_id"


def test_detect_anomalies_needs_a_current_version(lake) -> None:
    con, features, block, _ = lake
    model = _store(
        con, "fraud_detector", train_detector(_dbt("fraud_detector"), con, features, block)
    )
    with pytest.raises(RegistryError, match="no current version"):
        detect_anomalies(_dbt("fraud_anomalies"), con, model.filter("false"), features)


def test_large_relations_are_sampled_in_duckdb_keeping_labels(con, tmp_path: Path) -> None:
    features = _store(con, "transaction_features", table_of(transactions(n=1_200)))
    block = settings(
        label_column="is_fraud",
        max_train_rows=200,
        families=["ecod", "iforest"],
        registry_path=str(tmp_path),
    )
    row = train_detector(_dbt("fraud_detector"), con, features, block).to_pylist()[0]
    assert row["train_rows"] == 200 and row["n_labelled"] == 46
    assert json.loads(row["decisions"])["sampling"]["sampled"]
