"""dbt_automl.drift() on models trained for real, as a python model calls it: the profile
each version records, the drift table, the __prediction__ row with and without the test
split's distribution, and versions trained before profiles existed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

import dbt_automl
from dbt_automl import RegistryError, score, train
from dbt_automl.dbt._drift import DRIFT_SCHEMA
from tests.conftest import churn_like_frame
from tests.unit.anomaly.conftest import settings as anomaly_settings
from tests.unit.anomaly.conftest import table_of, transactions


def _dbt(name: str) -> SimpleNamespace:
    # The only attribute of dbt's python-model object that the library reads.
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"')


def _store(con: duckdb.DuckDBPyConnection, name: str, data) -> duckdb.DuckDBPyRelation:  # noqa: ANN001
    cursor = con.cursor()
    cursor.register("incoming", data)
    cursor.execute(f"create or replace table {name} as select * from incoming")
    cursor.unregister("incoming")
    cursor.close()
    return con.table(name)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    """A churn classifier and an anomaly detector, each trained once, and their rows."""
    root = tmp_path_factory.mktemp("drift")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    features = _store(con, "features", churn_like_frame())
    churn = {
        "target": "is_churned",
        "task": "classification",
        "time_budget_s": 10,
        "max_trials": 4,
        "id_columns": ["customer_id"],
        "registry_path": str(root / "registry"),
    }
    _store(con, "churn_model", train(_dbt("churn_model"), con, features, churn))
    _store(
        con, "churn_scores", score(_dbt("churn_scores"), con, con.table("churn_model"), features)
    )
    tx = _store(con, "transactions", table_of(transactions()))
    block = anomaly_settings(
        label_column="is_fraud", families=["hbos", "ecod"], registry_path=str(root / "registry")
    )
    _store(con, "fraud_detector", train(_dbt("fraud_detector"), con, tx, block))
    yield con, root / "registry"
    con.close()


def _metadata(registry: Path, name: str) -> dict:
    return json.loads((registry / name / "v0001" / "metadata.json").read_text())


def _drift(con: duckdb.DuckDBPyConnection, model: str, rows: str, scores: str | None = None):
    table = dbt_automl.drift(
        _dbt(f"{model}_drift"),
        con,
        model=con.table(model),
        rows=con.sql(rows),
        scores=None if scores is None else con.table(scores),
    )
    arrow = table if isinstance(table, pa.Table) else table.to_arrow_table()
    return {r["feature"]: r for r in arrow.to_pylist()}, table


def test_every_version_records_a_profile_without_ids_and_target(warehouse) -> None:
    _, registry = warehouse
    churn = [c["name"] for c in _metadata(registry, "churn_model")["profile"]["columns"]]
    assert churn == ["tenure_days", "spend_90d", "tier", "favourite_merchant", "has_card"]
    detector = _metadata(registry, "fraud_detector")["profile"]
    # The anomaly model's label column and id are not features.
    assert [c["name"] for c in detector["columns"]] == [
        "amount",
        "hour",
        "distance_km",
        "merchant_kind",
    ]
    assert detector["rows"] == 600


def test_the_training_rows_give_a_table_of_ok_features(warehouse) -> None:
    con, registry = warehouse
    rows, table = _drift(con, "churn_model", "select * from features", scores="churn_scores")
    # What made the table, so that an unchanged build keeps it (see the test below).
    assert table.schema == DRIFT_SCHEMA.append(pa.field("source_fingerprint", pa.string()))
    assert set(rows) == {
        "tenure_days",
        "spend_90d",
        "tier",
        "favourite_merchant",
        "has_card",
        "__prediction__",
    }
    for name, row in rows.items():
        assert (row["model_name"], row["model_version"]) == ("churn_model", 1)
        if name != "__prediction__":
            assert row["psi"] == pytest.approx(0.0, abs=1e-12) and row["level"] == "ok"
            assert row["rows_train"] == row["rows_now"] == 600
    bins = json.loads(rows["tier"]["bins"])
    assert [b["bin"] for b in bins] == ["basic", "gold", "platinum", "__unseen__"]
    assert [b["train"] for b in bins] == pytest.approx([b["now"] for b in bins])


def test_unchanged_rows_and_version_keep_the_last_table(warehouse) -> None:
    con, _ = warehouse
    _, first = _drift(con, "churn_model", "select * from features", scores="churn_scores")
    _store(con, "churn_model_drift", first)
    _, again = _drift(con, "churn_model", "select * from features", scores="churn_scores")
    # Kept: the stored rows come back as they are, computed_at included.
    assert isinstance(again, duckdb.DuckDBPyRelation)
    assert again.to_arrow_table().equals(con.table("churn_model_drift").to_arrow_table())
    _, moved = _drift(
        con,
        "churn_model",
        "select * replace (spend_90d * 3 as spend_90d) from features",
        scores="churn_scores",
    )
    assert isinstance(moved, pa.Table)
    assert moved.column("source_fingerprint")[0] != first.column("source_fingerprint")[0]
    con.execute("drop table churn_model_drift")


def test_scored_training_rows_compare_with_the_models_predictions_on_them(warehouse) -> None:
    # The model was refitted on all 600 rows and scored them: a model is surer of rows it
    # learned from than of its test split, so they are compared with its predictions on
    # its training rows, recorded at training, and nothing drifted.
    con, registry = warehouse
    rows, _ = _drift(con, "churn_model", "select * from features", scores="churn_scores")
    prediction = rows["__prediction__"]
    meta = _metadata(registry, "churn_model")
    distribution = meta["decisions"]["prediction_distribution"]
    assert meta["decisions"]["trained_on_test_rows"] and distribution["fit_rows"] == 600
    assert prediction["kind"] == "prediction" and prediction["rows_now"] == 600
    assert prediction["rows_train"] == meta["data"]["test_rows"]
    assert prediction["null_rate_now"] == 0.0
    bins = json.loads(prediction["bins"])
    assert [b["train"] for b in bins] == pytest.approx(distribution["fit_shares"])
    assert prediction["psi"] == pytest.approx(0.0, abs=0.01) and prediction["level"] == "ok"


def test_scored_new_rows_compare_with_the_test_split(warehouse) -> None:
    con, registry = warehouse
    # The same scores under keys the model never trained on: new customers.
    con.execute(
        "create or replace table new_scores as "
        "select * replace (customer_id + 1000000 as customer_id) from churn_scores"
    )
    rows, _ = _drift(con, "churn_model", "select * from features", scores="new_scores")
    distribution = _metadata(registry, "churn_model")["decisions"]["prediction_distribution"]
    bins = json.loads(rows["__prediction__"]["bins"])
    assert [b["train"] for b in bins] == pytest.approx(distribution["shares"])
    assert distribution["shares"] != pytest.approx(distribution["fit_shares"])
    con.execute("drop table new_scores")


def test_shifted_rows_name_the_features_that_moved(warehouse) -> None:
    con, _ = warehouse
    rows, _ = _drift(
        con,
        "churn_model",
        "select * replace (spend_90d * 3 as spend_90d, case when customer_id % 4 = 0 "
        "then 'diamond' else tier end as tier) from features",
    )
    assert {n for n, r in rows.items() if r["level"] != "ok"} == {"spend_90d", "tier"}
    assert rows["tier"]["unseen_share"] == pytest.approx(0.25)
    assert "__prediction__" not in rows  # no scores passed


def test_every_task_has_a_drift_table(warehouse) -> None:
    con, _ = warehouse
    rows, _ = _drift(
        con, "fraud_detector", "select * replace (amount * 10 as amount) from transactions"
    )
    assert rows["amount"]["level"] == "error"
    assert {r["level"] for n, r in rows.items() if n != "amount"} == {"ok"}


def _copied_version(con, registry: Path, tmp_path: Path, edit) -> duckdb.DuckDBPyRelation:  # noqa: ANN001
    """A copy of churn_model v1 with its metadata edited, as a trained-model table."""
    copy = tmp_path / "churn_model" / "v0001"
    shutil.copytree(registry / "churn_model" / "v0001", copy)
    meta = json.loads((copy / "metadata.json").read_text())
    edit(meta)
    (copy / "metadata.json").write_text(json.dumps(meta))
    version = pa.table(
        {
            "model_name": ["churn_model"],
            "version": [1],
            "is_current": [True],
            "artifact_path": [str(copy / "model.joblib")],
        }
    )
    return _store(con, "edited_churn_model", version)


def test_without_a_recorded_prediction_distribution_there_is_no_prediction_row(
    warehouse, tmp_path
) -> None:
    con, registry = warehouse
    model = _copied_version(
        con, registry, tmp_path, lambda m: m["decisions"].pop("prediction_distribution")
    )
    table = dbt_automl.drift(
        _dbt("churn_drift"), con, model, con.table("features"), con.table("churn_scores")
    )
    assert "__prediction__" not in table.column("feature").to_pylist()
    assert table.num_rows == 5


def test_a_version_trained_before_profiles_says_to_retrain(warehouse, tmp_path) -> None:
    con, registry = warehouse
    model = _copied_version(con, registry, tmp_path, lambda m: m.pop("profile"))
    with pytest.raises(RegistryError) as raised:
        dbt_automl.drift(_dbt("churn_drift"), con, model, con.table("features"))
    assert str(raised.value) == (
        "dbt-automl: model churn_drift: churn_model v1 has no training profile to compare the "
        "rows with (it was trained before dbt-automl recorded one). Fix: retrain it: "
        "`dbt build --select churn_model --vars '{automl_retrain: true}'`"
    )


def test_a_table_without_a_current_version_is_refused(warehouse) -> None:
    con, _ = warehouse
    with pytest.raises(RegistryError, match="no current version"):
        dbt_automl.drift(
            _dbt("churn_drift"),
            con,
            con.sql("select * from churn_model where false"),
            con.table("features"),
        )
