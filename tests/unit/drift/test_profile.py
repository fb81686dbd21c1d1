"""training_profile on real DuckDB relations: kinds, bins, shares, null rates, the cap."""

from __future__ import annotations

import json

import duckdb
import pytest

from dbt_automl.drift import OTHER, TOP_CATEGORIES, training_profile


def _columns(profile: dict) -> dict[str, dict]:
    return {c["name"]: c for c in profile["columns"]}


def test_each_column_is_profiled_by_its_type_and_excluded_ones_are_not(churn_table) -> None:
    profile = training_profile(churn_table, exclude=["customer_id", "is_churned"])
    columns = _columns(profile)
    assert profile["rows"] == 600
    assert {n: c["kind"] for n, c in columns.items()} == {
        "tenure_days": "numeric",
        "spend_90d": "numeric",
        "tier": "categorical",
        "favourite_merchant": "categorical",
        "has_card": "categorical",
    }
    # A time column moves forward by design: listed with its range, not profiled.
    [(first, last)] = churn_table.aggregate("min(signup_at), max(signup_at)").fetchall()
    assert profile["skipped"] == [
        {
            "name": "signup_at",
            "type": "TIMESTAMP_NS",
            "reason": "a time column moves forward by design: its range is kept, not its drift",
            "min": str(first),
            "max": str(last),
        }
    ]
    # It goes into metadata.json.
    assert json.loads(json.dumps(profile)) == profile


def test_numeric_bins_are_deciles_holding_a_tenth_each(churn_table) -> None:
    spend = _columns(training_profile(churn_table))["spend_90d"]
    assert len(spend["edges"]) == 9 and spend["edges"] == sorted(spend["edges"])
    assert sum(spend["shares"]) == pytest.approx(1.0)
    assert all(s == pytest.approx(0.1, abs=0.01) for s in spend["shares"])
    # churn_like_frame blanks ~10% of spend_90d.
    assert spend["null_rate"] == pytest.approx(0.1, abs=0.03)
    [(mean, std, low, high)] = churn_table.aggregate(
        "avg(spend_90d), stddev_samp(spend_90d), min(spend_90d), max(spend_90d)"
    ).fetchall()
    assert (spend["mean"], spend["std"], spend["min"], spend["max"]) == pytest.approx(
        (mean, std, low, high)
    )


def test_categories_hold_their_shares_most_frequent_first(churn_table) -> None:
    tier = _columns(training_profile(churn_table))["tier"]
    counts = dict(churn_table.aggregate("tier, count(*)", "tier").fetchall())
    assert tier["categories"] == sorted(counts, key=lambda t: -counts[t])
    assert tier["shares"] == [counts[t] / 600 for t in tier["categories"]]
    assert tier["complete"] and tier["distinct"] == 3 and tier["null_rate"] == 0.0
    assert _columns(training_profile(churn_table))["has_card"]["categories"] in (
        ["true", "false"],
        ["false", "true"],
    )


def test_a_point_mass_is_one_edge_and_keeps_its_rows_in_one_bin() -> None:
    # 70% zeros: the first seven deciles are all 0, one edge.
    rows = duckdb.sql(
        "select case when i < 700 then 0.0 else i::double end as x from range(1000) t(i)"
    )
    x = _columns(training_profile(rows))["x"]
    assert x["edges"][0] == 0.0 and x["edges"].count(0.0) == 1
    assert x["shares"][0] == pytest.approx(0.7)


def test_integers_with_few_values_are_categories_and_many_values_numbers() -> None:
    rows = duckdb.sql("select i % 3 as product_count, i as amount_cents from range(500) t(i)")
    columns = _columns(training_profile(rows))
    assert columns["product_count"]["kind"] == "categorical"
    assert columns["product_count"]["categories"] == ["0", "1", "2"]
    assert columns["amount_cents"]["kind"] == "numeric"


def test_past_the_cap_the_rest_of_the_categories_share_one_bin() -> None:
    # Category k appears k + 1 times: the most frequent are the highest k.
    rows = duckdb.sql(
        "select 'm' || k as merchant from range(80) t(k), range(80) u(j) where j <= k"
    )
    merchant = _columns(training_profile(rows))["merchant"]
    assert not merchant["complete"] and merchant["distinct"] == 80
    assert len(merchant["categories"]) == TOP_CATEGORIES + 1
    assert merchant["categories"][0] == "m79" and merchant["categories"][-1] == OTHER
    total = 80 * 81 / 2
    assert merchant["shares"][-1] == pytest.approx(sum(range(1, 31)) / total)
    assert sum(merchant["shares"]) == pytest.approx(1.0)


def test_nan_infinities_and_all_null_columns() -> None:
    rows = duckdb.sql(
        "select case when i % 4 = 0 then 'nan'::double when i % 4 = 1 then 'inf'::double "
        "else i::double end as ratio, null::varchar as note, null::double as empty "
        "from range(100) t(i)"
    )
    columns = _columns(training_profile(rows))
    assert columns["ratio"]["null_rate"] == pytest.approx(0.5)
    assert columns["note"]["null_rate"] == 1.0 and columns["note"]["categories"] == []
    assert columns["empty"]["shares"] == [] and columns["empty"]["null_rate"] == 1.0


def test_an_empty_relation_has_a_profile_without_rates() -> None:
    profile = training_profile(duckdb.sql("select 1.5 as x, 'a' as y where false"))
    assert profile["rows"] == 0
    assert [c["null_rate"] for c in profile["columns"]] == [None, None]


def test_lists_and_structs_are_skipped_without_a_range() -> None:
    rows = duckdb.sql("select [1, 2] as tags, {'a': 1} as extra, current_date as day")
    skipped = {s["name"]: s for s in training_profile(rows)["skipped"]}
    assert skipped["tags"]["reason"] == "not a number, text, boolean or enum"
    assert "min" not in skipped["extra"]
    assert skipped["day"]["min"] == skipped["day"]["max"]
