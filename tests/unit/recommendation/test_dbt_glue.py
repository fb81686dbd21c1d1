"""train() with task: recommendation and recommend() on real DuckDB relations, as python
models call them: the trained-model table, reuse of an unchanged version, and the
recommendations table with cold-start users and a shrunken catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import train
from dbt_automl.dbt._recommend import recommend
from dbt_automl.errors import RegistryError, SchemaMismatchError
from tests.unit.recommendation.conftest import interactions, table_of


def _dbt(name: str) -> SimpleNamespace:
    # The only attribute of dbt's python-model object that the library reads.
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"')


def _settings(registry: Path, **extra: object) -> dict:
    return {
        "task": "recommendation",
        "user_column": "customer_id",
        "item_column": "merchant_category",
        "weight_column": "amount",
        "time_column": "purchased_at",
        "n": 5,
        "candidates": ["item_knn", "als"],
        "time_budget_s": 3,
        "registry_path": str(registry),
        **extra,
    }


def _store(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> duckdb.DuckDBPyRelation:
    con.register("incoming", data)
    con.execute(f"create or replace table {name} as select * from incoming")
    con.unregister("incoming")
    return con.table(name)


@pytest.fixture
def trained(con, tmp_path):
    # Integer customer ids in DuckDB: the recommendations table must keep the type.
    con.register("raw", table_of(interactions()))
    con.execute(
        "create table purchases as select cast(substr(customer_id, 2) as integer) as customer_id,"
        " merchant_category, amount, purchased_at from raw"
    )
    registry = tmp_path / "registry"
    versions = train(_dbt("card_offer_model"), con, con.table("purchases"), _settings(registry))
    return _store(con, "card_offer_model", versions), registry


def test_the_trained_model_table_carries_the_holdout_metrics(trained) -> None:
    model_table, registry = trained
    rows = model_table.fetchall()
    assert len(rows) == 1
    row = dict(zip(model_table.columns, rows[0], strict=True))
    assert (row["version"], row["is_current"], row["task"]) == (1, True, "recommendation")
    assert (row["metric"], row["n"], row["target"]) == ("precision_at_n", 5, None)
    assert row["candidate"] in {"item_knn", "als"}
    assert (row["user_column"], row["item_column"]) == ("customer_id", "merchant_category")
    assert row["test_precision_at_n"] > row["test_popularity_precision_at_n"] > 0
    assert row["test_lift_over_popularity"] == pytest.approx(
        row["test_precision_at_n"] / row["test_popularity_precision_at_n"]
    )
    for column in ("test_recall_at_n", "test_ndcg_at_n", "test_coverage"):
        assert 0 < row[column] <= 1
    assert (row["n_users"], row["n_items"], row["train_rows"]) == (240, 60, 2880)
    board = json.loads(row["leaderboard"])
    assert board[0]["candidate"] == "popularity" and sum(r["chosen"] for r in board) == 1
    assert json.loads(row["decisions"])["interactions"]["duplicate_rows_summed"] > 0
    assert (registry / "card_offer_model" / "v0001" / "metadata.json").exists()


def test_unchanged_data_reuses_v1_and_changed_data_trains_v2(trained, con) -> None:
    _, registry = trained
    again = train(_dbt("card_offer_model"), con, con.table("purchases"), _settings(registry))
    assert again.num_rows == 1 and again.column("version").to_pylist() == [1]
    con.execute("delete from purchases where customer_id < 10")
    newer = train(_dbt("card_offer_model"), con, con.table("purchases"), _settings(registry))
    assert newer.column("version").to_pylist() == [1, 2]
    reason = newer.column("status_reason").to_pylist()[1]
    assert "on the same held-out interactions (the champion's recipe refitted)" in reason
    assert newer.column("status").to_pylist()[1] in ("champion", "rejected")


def test_recommend_writes_top_n_per_user_with_cold_start_and_catalogue(trained, con) -> None:
    model_table, _ = trained
    users = con.sql("select * from (values (3), (17), (99999)) as t(customer_id)")
    catalogue = con.sql(
        "select distinct merchant_category from purchases where merchant_category <> 'm00'"
    )
    table = recommend(_dbt("card_offers"), con, model_table, users=users, catalogue=catalogue)
    assert table.column_names == [
        "customer_id",
        "rank",
        "merchant_category",
        "score",
        "source",
        "model_name",
        "model_version",
        "recommended_at",
        "source_fingerprint",  # what made the table: reused when unchanged
    ]
    assert table.schema.field("customer_id").type == pa.int32()
    assert table.schema.field("rank").type == pa.int32()
    frame = table.to_pandas()
    assert frame.groupby("customer_id").size().to_dict() == {3: 5, 17: 5, 99999: 5}
    assert set(frame.loc[frame["customer_id"] == 99999, "source"]) == {"popular"}
    assert set(frame.loc[frame["customer_id"] != 99999, "source"]) == {"model"}
    assert "m00" not in set(frame["merchant_category"])
    assert set(frame["model_name"]) == {"card_offer_model"} and set(frame["model_version"]) == {1}
    had = con.sql("select merchant_category from purchases where customer_id = 3").fetchall()
    assert not {m for (m,) in had} & set(frame.loc[frame["customer_id"] == 3, "merchant_category"])


def test_recommend_for_every_training_user_by_default(trained, con) -> None:
    model_table, _ = trained
    table = recommend(_dbt("card_offers"), con, model_table)
    assert table.num_rows == 240 * 5


def test_a_users_relation_without_the_user_column_is_refused(trained, con) -> None:
    model_table, _ = trained
    users = con.sql("select 3 as client_id")
    with pytest.raises(SchemaMismatchError, match=r"card_offers, column 'customer_id'.*Fix:"):
        recommend(_dbt("card_offers"), con, model_table, users=users)


def test_a_table_without_a_current_version_is_refused(trained, con) -> None:
    model_table, _ = trained
    with pytest.raises(RegistryError, match=r"no current version"):
        recommend(_dbt("card_offers"), con, model_table.filter("not is_current"))
