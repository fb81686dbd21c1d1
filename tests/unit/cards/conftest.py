"""One registry with a real, tiny fit of every task kind, built once for the card tests
(about 5 s): the same fixtures the tasks' own unit tests fit on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import train
from dbt_automl.registry import Registry
from tests.conftest import churn_like_frame
from tests.unit.anomaly.conftest import table_of as anomaly_table
from tests.unit.anomaly.conftest import transactions
from tests.unit.clustering.conftest import blobs
from tests.unit.forecasting.conftest import daily_sales
from tests.unit.forecasting.conftest import settings as forecast_settings
from tests.unit.forecasting.conftest import table_of as forecast_table
from tests.unit.recommendation.conftest import interactions
from tests.unit.recommendation.conftest import table_of as recommend_table

QUICK = {"time_budget_s": 5, "max_trials": 4}
# model name -> (its training table, its meta.automl settings)
MODELS: dict[str, tuple[Callable[[], pa.Table], dict]] = {
    "churn_model": (
        lambda: pa.Table.from_pandas(churn_like_frame(), preserve_index=False),
        {"task": "classification", "target": "is_churned", "id_columns": ["customer_id"]} | QUICK,
    ),
    "spend_model": (
        lambda: pa.Table.from_pandas(
            churn_like_frame().drop(columns=["is_churned"]), preserve_index=False
        ),
        {"task": "regression", "target": "spend_90d", "id_columns": ["customer_id"]} | QUICK,
    ),
    "segment_model": (
        lambda: blobs()[0],
        {"task": "clustering", "id_columns": ["customer_id"], "k_max": 5, "time_budget_s": 5},
    ),
    "anomaly_model": (
        lambda: anomaly_table(transactions()),
        {
            "task": "anomaly",
            "id_columns": ["transaction_id"],
            "label_column": "is_fraud",
            "families": ["hbos", "ecod"],
            "time_budget_s": 5,
        },
    ),
    "offer_model": (
        lambda: recommend_table(interactions()),
        {
            "task": "recommendation",
            "user_column": "customer_id",
            "item_column": "merchant_category",
            "weight_column": "amount",
            "time_column": "purchased_at",
            "n": 5,
            "candidates": ["item_knn"],
            "time_budget_s": 3,
        },
    ),
    "sales_model": (
        lambda: forecast_table(daily_sales(branches=2, days=200)),
        forecast_settings(candidates=["seasonal_naive", "theta"], time_budget_s=10),
    ),
}


def fit(con: duckdb.DuckDBPyConnection, root: Path, name: str, table: pa.Table) -> pa.Table:
    """Train ``name`` on ``table`` through ``dbt_automl.train``, as its python model would."""
    con.register("incoming", table)
    con.execute(f"create or replace table {name}_rows as select * from incoming")
    con.unregister("incoming")
    settings = {**MODELS[name][1], "registry_path": str(root)}
    dbt = SimpleNamespace(this=f'"warehouse"."main"."{name}"')
    return train(dbt, con, con.table(f"{name}_rows"), settings)


@pytest.fixture(scope="package")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry holding version 1 of each model in :data:`MODELS`."""
    root = tmp_path_factory.mktemp("cards") / "registry"
    with duckdb.connect() as con:
        for name, (table, _) in MODELS.items():
            fit(con, root, name, table())
    return Registry(root)
