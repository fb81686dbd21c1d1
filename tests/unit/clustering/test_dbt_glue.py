"""train_segments(), segment() and segment_profiles() on real DuckDB relations, as python
models call them."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl.dbt._segments import segment, segment_profiles, train_segments
from dbt_automl.errors import RegistryError, SchemaMismatchError
from tests.unit.clustering.conftest import blobs


def _dbt(name: str) -> SimpleNamespace:
    # The only attribute of dbt's python-model object that the library reads.
    return SimpleNamespace(this=f'"db"."main"."{name}"')


def _settings(registry: Path, **extra: object) -> dict:
    return {
        "task": "clustering",
        "id_columns": ["customer_id"],
        "k_max": 6,
        "labels": {1: "steady earners"},
        "time_budget_s": 20,
        "registry_path": str(registry),
        **extra,
    }


def _store(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table):
    con.register("incoming", table)
    con.execute(f"create or replace table {name} as select * from incoming")
    con.unregister("incoming")
    return con.table(name)


@pytest.fixture
def built(tmp_path):
    con = duckdb.connect()
    table, _ = blobs()
    features = _store(con, "customer_features", table)
    registry = tmp_path / "registry"
    versions = train_segments(_dbt("my_segments"), con, features, _settings(registry))
    return con, features, registry, _store(con, "my_segments", versions)


def test_the_trained_model_table_has_one_current_version_with_its_metrics(built) -> None:
    _, _, registry, model = built
    rows = model.fetchall()
    assert len(rows) == 1
    row = dict(zip(model.columns, rows[0], strict=True))
    assert row["version"] == 1 and row["is_current"] and row["task"] == "clustering"
    assert row["k"] == 4 and row["family"] == "kmeans" and row["metric"] == "silhouette"
    assert json.loads(row["id_columns"]) == ["customer_id"]
    assert row["test_silhouette"] > 0.4 and row["test_davies_bouldin"] > 0
    assert row["test_min_segment_share"] == pytest.approx(0.1)
    assert row["test_max_segment_share"] == pytest.approx(0.4)
    assert row["test_kept_share"] is None
    assert json.loads(row["curve"])["kmeans"][0]["k"] == 2
    assert len(json.loads(row["profiles"])) == 4
    assert json.loads(row["matching"]) is None
    assert "choice" in json.loads(row["decisions"])
    meta = json.loads((registry / "my_segments" / "v0001" / "metadata.json").read_text())
    assert meta["artifact"]["sha256"] == row["sha256"] and meta["task"] == "clustering"


def test_segment_assigns_every_row_with_ids_labels_and_the_version(built) -> None:
    con, features, _, model = built
    assigned = segment(_dbt("customer_segment"), con, model, features)
    assert assigned.column_names == [
        "customer_id",
        "segment",
        "segment_label",
        "distance",
        "probability",
        "model_name",
        "model_version",
        "assigned_at",
        "source_fingerprint",  # what made the table: reused when unchanged
    ]
    frame = assigned.to_pandas()
    assert len(frame) == 1000 and frame["customer_id"].is_unique
    assert set(frame["segment"]) == {1, 2, 3, 4}
    assert (frame.loc[frame["segment"] == 1, "segment_label"] == "steady earners").all()
    assert frame.loc[frame["segment"] == 2, "segment_label"].isna().all()
    assert (frame["model_name"] == "my_segments").all() and (frame["model_version"] == 1).all()
    assert assigned.schema.field("model_version").type == pa.int32()


def test_segment_refuses_rows_without_the_id_column(built) -> None:
    con, features, _, model = built
    with pytest.raises(SchemaMismatchError) as raised:
        segment(_dbt("customer_segment"), con, model, features.project("income, region"))
    assert raised.value.column == "customer_id"


def test_segment_profiles_has_one_row_per_segment(built) -> None:
    con, _, _, model = built
    profiles = segment_profiles(_dbt("segment_profiles"), con, model).to_pandas()
    assert list(profiles["segment"]) == [1, 2, 3, 4]
    assert list(profiles["size"]) == [400, 300, 200, 100]
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert profiles.loc[0, "segment_label"] == "steady earners"
    assert all(profiles["description"].str.len() > 0)
    traits = json.loads(profiles.loc[1, "traits"])
    assert len(traits) == 5 and {"feature", "std_diff", "segment_mean"} <= set(traits[0])


def test_unchanged_data_reuses_v1_and_more_customers_train_v2_with_stable_ids(built) -> None:
    con, features, registry, _ = built
    again = train_segments(_dbt("my_segments"), con, features, _settings(registry))
    assert again.num_rows == 1  # nothing changed: v1 reused
    extra, _ = blobs(sizes=(40, 30, 20, 10), seed=7, start_id=5_000)
    con.register("extra", extra)
    con.execute("insert into customer_features select * from extra")
    grown = train_segments(_dbt("my_segments"), con, features, _settings(registry))
    current = grown.filter(pa.compute.field("is_current")).to_pylist()[0]
    assert grown.num_rows == 2 and current["version"] == 2
    assert current["test_kept_share"] >= 0.9
    pairs = json.loads(current["matching"])["pairs"]
    assert [p["previous"] for p in pairs] == [1, 2, 3, 4]
    # Judged against v1 on the same sample, in v2's space (both kept the blobs: a tie).
    assert "silhouette" in current["status_reason"]
    assert "on the same sample of the new rows" in current["status_reason"]


def test_a_table_without_a_current_version_is_refused(built) -> None:
    con, features, _, model = built
    with pytest.raises(RegistryError, match="no current version"):
        segment(_dbt("customer_segment"), con, model.filter("not is_current"), features)
    with pytest.raises(RegistryError, match="no current version"):
        segment_profiles(_dbt("segment_profiles"), con, model.filter("not is_current"))
