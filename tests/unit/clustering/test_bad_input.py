"""Bad settings and bad rows: each refused with the model, the column or key, and the fix,
or handled by a stated fallback."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pytest

from dbt_automl.clustering import parse_cluster_config, train_clusterer
from dbt_automl.errors import ConfigError, SchemaMismatchError, TrainingDataError
from tests.unit.clustering.conftest import blobs, config

LOG = logging.getLogger("clustering-bad-input")


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"k_min": 1}, "k_min", "must be >= 2"),
        ({"k_min": 5, "k_max": 3}, "k_max", "must be >= k_min"),
        ({"k_max": 2.5}, "k_max", "whole number"),
        ({"families": ["kmeans", "dbscan"]}, "families", "unknown families ['dbscan']"),
        ({"criterion": "elbow"}, "criterion", "must be one of"),
        ({"labels": {0: "nobody"}}, "labels", "segment id >= 1"),
        ({"labels": ["a", "b"]}, "labels", "mapping"),
        ({"min_segment_share": 0.7}, "min_segment_share", "[0, 0.5)"),
        ({"exclude": ["customer_id"]}, "exclude", "both id_columns and excluded"),
        ({"sample_rows": 10}, "sample_rows", ">= 100"),
    ],
)
def test_settings_out_of_range_are_refused_naming_the_key(settings, key, words) -> None:
    with pytest.raises(ConfigError) as raised:
        config(**settings)
    assert raised.value.key == key and raised.value.model == "customer_segments"
    assert words in str(raised.value) and "Fix:" in str(raised.value)


def test_id_columns_are_required_and_unknown_keys_refused() -> None:
    with pytest.raises(ConfigError, match="id_columns"):
        parse_cluster_config({"task": "clustering"}, "customer_segments")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_cluster_config(
            {"task": "clustering", "id_columns": "customer_id", "n_clusters": 4}, "m"
        )


def test_one_row_is_refused() -> None:
    table, _ = blobs()
    with pytest.raises(TrainingDataError, match="1 row") as raised:
        train_clusterer(table.slice(0, 1), config(), LOG)
    assert raised.value.model == "customer_segments" and raised.value.fix


def test_one_distinct_point_is_refused() -> None:
    table, _ = blobs()
    same = pa.concat_tables([table.slice(0, 1)] * 50)
    # Every column is then constant: the featurizer drops each, saying why.
    with pytest.raises(TrainingDataError, match="no usable feature column.*constant"):
        train_clusterer(same, config(), LOG)


def test_fewer_distinct_points_than_k_min_plus_one_are_refused() -> None:
    table, _ = blobs()
    two = pa.concat_tables([table.slice(0, 1)] * 20 + [table.slice(500, 1)] * 20)
    with pytest.raises(TrainingDataError, match="only 2 distinct point") as raised:
        train_clusterer(two, config(), LOG)
    assert raised.value.key == "k_min"


def test_all_constant_features_are_refused_naming_each_column() -> None:
    table = pa.table(
        {"customer_id": np.arange(100), "income": np.full(100, 5.0), "region": ["north"] * 100}
    )
    with pytest.raises(TrainingDataError) as raised:
        train_clusterer(table, config(), LOG)
    text = str(raised.value)
    assert (
        "customer_segments" in text and "income: constant" in text and "region: constant" in text
    )


def test_k_max_above_the_distinct_rows_is_clipped_saying_so(caplog) -> None:
    table, _ = blobs()
    few = table.take(pa.array([0, 1, 400, 401, 700, 900]))
    with caplog.at_level(logging.WARNING):
        result = train_clusterer(few, config(k_max=8, min_segment_share=0), LOG)
    assert result.decisions["k_range"]["k_max"] == 5
    assert "clipped to 5" in result.decisions["k_range"]["fallback"]
    assert "clipped to 5" in caplog.text
    assert max(row["k"] for row in result.leaderboard) <= 5


def test_a_missing_id_column_is_named() -> None:
    table, _ = blobs()
    with pytest.raises(TrainingDataError) as raised:
        train_clusterer(table, config(id_columns=["client_id"]), LOG)
    assert raised.value.column == "client_id" and raised.value.key == "id_columns"


def test_id_and_excluded_columns_are_never_features() -> None:
    table, _ = blobs()
    result = train_clusterer(table, config(exclude=["region"], k_max=4), LOG)
    used = [c["name"] for c in result.decisions["features"]["columns"]]
    assert used == ["income", "tenure_years", "spend_score"]


def test_rows_to_assign_without_a_feature_column_are_refused() -> None:
    table, _ = blobs()
    result = train_clusterer(table, config(k_max=4), LOG)
    with pytest.raises(SchemaMismatchError) as raised:
        result.model.assign(table.drop_columns(["income"]))
    assert raised.value.column == "income"
