"""Segments, anomalies and recommendations in the demo, end to end through dbt build."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.conftest import messages, statuses

pytestmark = pytest.mark.slow

OUTPUTS = {
    "customer_segment_model",
    "customer_segments",
    "customer_segment_profiles",
    "segment_campaign_list",
    "terminal_anomaly_model",
    "terminal_anomalies",
    "terminals_to_inspect",
    "card_offer_model",
    "card_offers",
    "offers_per_customer",
}


def test_every_segment_anomaly_and_offer_node_builds(built_project) -> None:
    _, result = built_project
    states = statuses(result)
    assert {n: states.get(n) for n in OUTPUTS} == dict.fromkeys(OUTPUTS, "success")
    for test in (
        "expect_segment_sizes_to_be_between",
        "expect_segments_to_be_stable",
        "expect_anomaly_rate_to_be_between",
    ):
        ran = [n for n in states if test in n]
        assert ran and {states[n] for n in ran} == {"pass"}, test
    # A warning in the demo (severity: warn): see the last test of offers below.
    ran = [n for n in states if "expect_recommendations_to_beat_popularity" in n]
    assert len(ran) == 1 and states[ran[0]] in ("pass", "warn")


def test_every_active_customer_has_one_segment_and_a_profile(built_project) -> None:
    project, _ = built_project
    [(features, segmented, keys, k, profiles)] = project.query(
        """select (select count(*) from customer_segment_features),
                  count(*), count(distinct customer_id), count(distinct segment),
                  (select count(*) from customer_segment_profiles)
           from customer_segments"""
    )
    assert features == segmented == keys
    assert 3 <= k <= 6 and profiles == k
    [(labelled,)] = project.query(
        "select count(*) from customer_segment_profiles where segment_label is not null"
    )
    assert labelled == 3  # the three labels in meta.automl.labels attach to ids 1-3


def test_anomaly_flags_follow_the_contamination_and_the_labels(built_project) -> None:
    project, _ = built_project
    [(rate, low, high)] = project.query(
        "select avg(is_anomaly::int), min(anomaly_score), max(anomaly_score) "
        "from terminal_anomalies"
    )
    assert 0.01 <= rate <= 0.04 and 0 <= low and high <= 1  # contamination 0.02
    [(precision, labelled, baseline)] = project.query(
        "select test_precision_at_flagged, n_labelled, test_iforest_precision_at_flagged "
        "from terminal_anomaly_model where is_current"
    )
    assert labelled > 0 and precision is not None and baseline is not None
    [(listed,)] = project.query("select count(*) from terminals_to_inspect")
    assert listed > 0


def test_offers_skip_what_customers_use_and_what_has_no_offer(built_project) -> None:
    project, _ = built_project
    [(seen, off_catalogue, per_customer)] = project.query(
        """select
             (select count(*) from card_offers as o join customer_merchant_interactions as i
                on o.customer_id = i.customer_id and o.merchant_category = i.merchant_category),
             (select count(*) from card_offers where merchant_category not in
                (select merchant_category from card_offer_catalogue)),
             (select max(n) from (select count(*) as n from card_offers group by customer_id))"""
    )
    assert seen == 0 and off_catalogue == 0 and per_customer <= 3
    [(model, popularity)] = project.query(
        "select test_precision_at_n, test_popularity_precision_at_n from card_offer_model "
        "where is_current"
    )
    # With 12 categories the best model is about as good as popularity: which one wins
    # the test holdout is noise. Over 18 searches on this lake (budgets 3, 6 and 15 s x
    # seeds 0-5, 2026-12-03) the chosen model's precision@3 was 0.979-1.033 times
    # popularity's (popularity itself in 5); one losing by 1.2 % warned a CI build. A
    # broken recommender is far below (BPR's default: 0.61 times on validation), so 0.95.
    assert model >= 0.95 * popularity > 0


def test_ten_percent_more_customers_keep_their_segment_ids(built_project, tmp_path) -> None:
    # The segmentation is trained on ~91% of customers, then on all of them (10% more):
    # at least 90% of the first customers must keep the segment id they had.
    project = built_project[0].copy(tmp_path / "more")
    shutil.rmtree(project.registry / "customer_segment_model")
    sql = "models/features/customer_segment_features.sql"
    project.edit(
        sql, r"^select \* from final\s*$", "select * from final where customer_id % 11 != 0\n"
    )
    first = project.dbt("build", "--select", "customer_segment_features+")
    assert first.success, messages(first)
    before = dict(project.query("select customer_id, segment from customer_segments"))
    project.edit(
        sql, r"^select \* from final where customer_id % 11 != 0\s*$", "select * from final\n"
    )
    second = project.dbt("build", "--select", "customer_segment_features+")
    assert second.success, messages(second)
    after = dict(project.query("select customer_id, segment from customer_segments"))
    assert len(after) > len(before) * 1.08
    kept = sum(after[c] == s for c, s in before.items()) / len(before)
    assert kept >= 0.9, kept
    [(version, kept_share)] = project.query(
        "select version, test_kept_share from customer_segment_model where is_current"
    )
    assert version == 2 and kept_share >= 0.9
