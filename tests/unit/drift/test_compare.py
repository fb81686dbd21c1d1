"""compare() and the prediction comparison on real DuckDB relations: PSI over the training
bins, unseen categories, null rates, levels, and what the bins give a chart."""

from __future__ import annotations

import json
import math

import duckdb
import pytest

from dbt_automl.drift import (
    EPSILON,
    OTHER,
    PREDICTION_FEATURE,
    UNSEEN,
    compare,
    compare_predictions,
    drift_level,
    prediction_reference,
    psi,
    training_profile,
)
from dbt_automl.errors import RegistryError, SchemaMismatchError

EXCLUDE = ["customer_id", "is_churned"]


def _by_feature(drifts: list) -> dict:
    return {d.feature: d for d in drifts}


@pytest.fixture
def profile(churn_table) -> dict:
    # Through JSON, as it comes back from metadata.json.
    return json.loads(json.dumps(training_profile(churn_table, exclude=EXCLUDE)))


def test_psi_is_the_sum_of_share_differences_times_their_log_ratio() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.1 * math.log(1.2) + 0.1 * math.log(1.25))
    # An empty bin counts as EPSILON: a category new at 10% is a large shift, not infinite.
    assert psi([1.0, 0.0], [0.9, 0.1]) == pytest.approx(
        (0.9 - 1.0) * math.log(0.9) + (0.1 - EPSILON) * math.log(0.1 / EPSILON)
    )
    assert [drift_level(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, 3.0)] == [
        "ok",
        "ok",
        "warn",
        "warn",
        "error",
        "error",
    ]


def test_the_training_rows_themselves_do_not_drift(profile, churn_table) -> None:
    drifts = compare(profile, churn_table)
    assert [d.feature for d in drifts] == [c["name"] for c in profile["columns"]]
    for d in drifts:
        assert d.psi == pytest.approx(0.0, abs=1e-12), d.feature
        assert d.level == "ok" and d.null_rate_change == pytest.approx(0.0)
        assert d.rows_train == d.rows_now == 600
    assert _by_feature(drifts)["tier"].unseen_share == 0.0
    assert _by_feature(drifts)["tenure_days"].unseen_share is None  # numbers have no categories


def test_a_tripled_amount_and_a_new_category_are_errors(profile, con) -> None:
    shifted = con.sql(
        "select * replace (spend_90d * 3 as spend_90d, "
        "case when customer_id % 5 = 0 then 'diamond' else tier end as tier) from features"
    )
    drifts = _by_feature(compare(profile, shifted))
    assert drifts["spend_90d"].psi > 0.25 and drifts["spend_90d"].level == "error"
    assert drifts["tier"].unseen_share == pytest.approx(0.2)
    assert drifts["tier"].psi > 0.25 and drifts["tier"].level == "error"
    assert drifts["tenure_days"].level == "ok"
    # The chart's data: every bin with both shares; the new category in the unseen bin.
    tier = {b["bin"]: b for b in drifts["tier"].bin_rows()}
    assert tier[UNSEEN] == {"bin": UNSEEN, "train": 0.0, "now": pytest.approx(0.2)}
    spend = drifts["spend_90d"].bin_rows()
    assert spend[0]["bin"].startswith("(-inf, ") and spend[-1]["bin"].endswith(", inf)")
    assert spend[-1]["now"] > 0.5  # most tripled values are past the training's top decile


def test_a_moderate_shift_warns(profile, con) -> None:
    # A tenth of the customers move from basic to platinum.
    shifted = con.sql(
        "select * replace (case when tier = 'basic' and customer_id % 6 = 0 then 'platinum' "
        "else tier end as tier) from features"
    )
    tier = _by_feature(compare(profile, shifted))["tier"]
    assert 0.1 <= tier.psi < 0.25 and tier.level == "warn"
    assert tier.unseen_share == 0.0


def test_null_rates_now_and_at_training(profile, con) -> None:
    shifted = con.sql(
        "select * replace (case when customer_id % 2 = 0 then null else tier end as tier) "
        "from features"
    )
    tier = _by_feature(compare(profile, shifted))["tier"]
    assert tier.null_rate_train == 0.0 and tier.null_rate_now == pytest.approx(0.5)
    assert tier.null_rate_change == pytest.approx(0.5)
    assert tier.psi == pytest.approx(0.0, abs=0.02)  # shares among values barely move


def test_a_missing_column_counts_as_all_null_and_is_an_error(profile, con) -> None:
    drifts = _by_feature(compare(profile, con.sql("select * exclude (tier) from features")))
    tier = drifts["tier"]
    assert tier.psi is None and tier.null_rate_now == 1.0 and tier.level == "error"
    assert [b["now"] for b in tier.bin_rows()] == [None] * 4
    assert tier.as_row()["level"] == "error"


def test_no_rows_now_is_an_error_for_every_feature(profile, con) -> None:
    drifts = compare(profile, con.sql("select * from features where false"))
    assert {(d.rows_now, d.psi, d.null_rate_now, d.level) for d in drifts} == {
        (0, None, None, "error")
    }


def test_past_a_capped_list_new_values_are_other_and_unseen_is_unknown() -> None:
    training = duckdb.sql("select 'm' || (i % 60) as merchant from range(600) t(i)")
    profile = training_profile(training)
    now = duckdb.sql("select 'new' || (i % 60) as merchant from range(600) t(i)")
    [merchant] = compare(profile, now)
    assert merchant.unseen_share is None
    assert merchant.bins[-1] == OTHER and merchant.now_shares[-1] == 1.0
    assert merchant.level == "error"


def test_a_changed_type_reads_unparseable_values_as_missing(profile, con) -> None:
    shifted = con.sql(
        "select * replace (case when customer_id % 2 = 0 then 'n/a' "
        "else cast(tenure_days as varchar) end as tenure_days) from features"
    )
    tenure = _by_feature(compare(profile, shifted))["tenure_days"]
    assert tenure.null_rate_now == pytest.approx(0.5) and tenure.psi < 0.1


def test_an_unknown_profile_format_is_refused(profile, churn_table) -> None:
    with pytest.raises(RegistryError, match="training profile format 99"):
        compare({**profile, "format": 99}, churn_table)


# The prediction distribution a version records (tasks/_curves.py): all edges, [lo, hi).


def test_probabilities_are_binned_like_numpy_with_ties_on_an_edge() -> None:
    distribution = {
        "kind": "probability",
        "edges": [0.0, 0.2, 0.5, 1.0],
        "shares": [0.3, 0.4, 0.3],
    }
    # 0.2 and 0.5 sit on edges: numpy puts them in the bin they open.
    scores = duckdb.sql(
        "select unnest([0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.5, 0.9]) as probability"
    )
    drift = compare_predictions(distribution, scores, "churn_drift", rows=120)
    assert drift.feature == PREDICTION_FEATURE and drift.kind == "prediction"
    assert drift.now_shares == pytest.approx([0.3, 0.4, 0.3])
    assert drift.psi == pytest.approx(0.0) and drift.rows_train == 120
    assert drift.bins == ["(-inf, 0.2)", "[0.2, 0.5)", "[0.5, inf)"]
    assert drift.null_rate_train is None and drift.null_rate_now == 0.0


def test_predicted_classes_compare_by_share_with_new_classes_unseen() -> None:
    distribution = {"kind": "class", "classes": ["false", "true"], "shares": [0.8, 0.2]}
    scores = duckdb.sql("select unnest([true, false, false, true, true]) as prediction")
    drift = compare_predictions(distribution, scores)
    assert drift.now_shares == pytest.approx([0.4, 0.6, 0.0])
    assert drift.bins == ["false", "true", UNSEEN] and drift.level == "error"


def test_regression_values_read_the_prediction_column() -> None:
    distribution = {"kind": "value", "edges": [1.0, 2.0, 3.0], "shares": [0.5, 0.5]}
    scores = duckdb.sql("select unnest([1.5, 2.5, 9.0, 0.0]) as prediction")
    drift = compare_predictions(distribution, scores)
    assert drift.now_shares == pytest.approx([0.5, 0.5])


def test_scores_without_the_described_column_are_refused() -> None:
    distribution = {"kind": "probability", "edges": [0.0, 0.5, 1.0], "shares": [0.5, 0.5]}
    with pytest.raises(SchemaMismatchError, match="column 'probability'"):
        compare_predictions(distribution, duckdb.sql("select 1 as prediction"), "churn_drift")


def test_an_unreadable_distribution_says_to_retrain() -> None:
    distribution = {"kind": "probability", "edges": [0.0, 1.0], "shares": [0.1, 0.2, 0.3, 0.4]}
    with pytest.raises(RegistryError, match="model churn_drift.*retrain the model"):
        compare_predictions(distribution, duckdb.sql("select 0.5 as probability"), "churn_drift")


def test_scored_training_rows_compare_with_the_training_rows_predictions() -> None:
    # A model is surer of the rows it learned from: a version records its predictions on
    # them (fit_shares), and the reference mixes them in for the share of scored rows that
    # are training rows.
    distribution = {
        "kind": "probability",
        "edges": [0.0, 0.2, 0.8, 1.0],
        "shares": [0.3, 0.5, 0.2],
        "fit_shares": [0.5, 0.1, 0.4],
    }
    scores = duckdb.sql(
        "select unnest([0.1, 0.1, 0.1, 0.1, 0.1, 0.5, 0.9, 0.9, 0.9, 0.9]) as probability"
    )
    assert compare_predictions(distribution, scores).level == "error"  # vs the test split
    trained = compare_predictions(distribution, scores, trained_share=1.0)
    assert trained.train_shares == pytest.approx([0.5, 0.1, 0.4]) and trained.psi == 0.0
    half = prediction_reference(distribution, trained_share=0.5)
    assert half.shares == pytest.approx([0.4, 0.3, 0.3])
    # Versions without fit_shares keep the test split's reference.
    del distribution["fit_shares"]
    assert prediction_reference(distribution, trained_share=1.0).shares == [0.3, 0.5, 0.2]


def test_training_rows_shares_of_another_length_say_to_retrain() -> None:
    distribution = {
        "kind": "class",
        "classes": ["a", "b"],
        "shares": [0.5, 0.5],
        "fit_shares": [1.0],
    }
    with pytest.raises(RegistryError, match="retrain the model"):
        prediction_reference(distribution, "churn_drift", trained_share=0.5)
