"""Retrain and promotion rules, the deployment log's replay, pins and rollbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbt_automl.errors import ConfigError
from dbt_automl.lifecycle import (
    Newest,
    PromotionRule,
    RetrainPolicy,
    Scores,
    decide,
    judge,
    promotion_rule,
    recorded_scores,
    retrain_policy,
)
from dbt_automl.registry._lifecycle import previous_champion, serving


def _newest(**changes: object) -> Newest:
    fields: dict = {
        "version": 3,
        "data_fingerprint": "fp",
        "config_hash": "cfg",
        "library_version": "0.1.0",
        "readable": True,
        "created_at": datetime.now(UTC) - timedelta(days=2),
    }
    return Newest(**{**fields, **changes})


def _decide(policy: RetrainPolicy, newest: Newest | None = None, **kw: object):
    args: dict = {"data_fingerprint": "fp", "config_hash": "cfg", "library_version": "0.1.0"}
    return decide(_newest() if newest is None else newest, policy, **{**args, **kw})


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ({}, "on_change"),
        ({"retrain": "always"}, "always"),
        ({"retrain": "never"}, "never"),
        ({"retrain": "on_drift"}, "on_drift"),
        ({"retrain": {"max_age": "7d"}}, "max_age"),
    ],
)
def test_retrain_settings_are_read(raw: dict, rule: str) -> None:
    assert retrain_policy(raw, "m").rule == rule


@pytest.mark.parametrize(
    "value", ["sometimes", {"max_age": "soon"}, {"max_age": "-1d"}, {"on_drift": 0}]
)
def test_a_bad_retrain_setting_names_the_model_and_the_fix(value: object) -> None:
    with pytest.raises(ConfigError, match=r"model m.*retrain.*Fix: write one of|max_age"):
        retrain_policy({"retrain": value}, "m")


def test_max_age_reads_units_and_says_them_back() -> None:
    policy = retrain_policy({"retrain": {"max_age": "2w"}}, "m")
    assert policy.max_age == timedelta(days=14)
    assert policy.describe() == "retrain: {max_age: 2w}"


def test_on_change_trains_on_new_data_settings_or_release_only() -> None:
    policy = RetrainPolicy()
    assert not _decide(policy).train
    assert "data changed" in _decide(policy, data_fingerprint="other").reason
    assert "settings changed" in _decide(policy, config_hash="other").reason
    assert "0.1.0 -> 0.2.0" in _decide(policy, library_version="0.2.0").reason


def test_never_keeps_and_always_trains_and_the_first_version_is_always_trained() -> None:
    assert not _decide(RetrainPolicy("never"), data_fingerprint="other").train
    assert _decide(RetrainPolicy("always")).train
    first = decide(None, RetrainPolicy("never"), "fp", "cfg", "0.1.0")
    assert first.train and first.reason == "no version yet"


def test_max_age_trains_an_old_version_only() -> None:
    week = RetrainPolicy("max_age", max_age=timedelta(days=7))
    assert not _decide(week, data_fingerprint="other").train
    old = _newest(created_at=datetime.now(UTC) - timedelta(days=8))
    verdict = _decide(week, old)
    assert verdict.train and "8.0 days old" in verdict.reason


def test_on_drift_trains_when_a_column_moved_past_the_psi() -> None:
    policy = RetrainPolicy("on_drift", drift_psi=0.2)
    still = _decide(policy, data_fingerprint="other", drift=lambda: ("amount", 0.05))
    moved = _decide(policy, data_fingerprint="other", drift=lambda: ("amount", 0.6))
    assert not still.train and "0.050 (amount)" in still.reason
    assert moved.train and "column amount moved" in moved.reason
    no_profile = _decide(policy, data_fingerprint="other", drift=lambda: None)
    assert no_profile.train and "on_change instead" in no_profile.reason


def test_the_var_forces_a_retrain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_AUTOML_RETRAIN", "1")
    verdict = _decide(RetrainPolicy("never"))
    assert verdict.train and "automl_retrain" in verdict.reason


def test_promotion_needs_the_floor_and_the_gain() -> None:
    rule = promotion_rule({"promotion": {"threshold": 0.7, "min_absolute_change": 0.01}}, "m")
    assert judge(Scores("roc_auc", 0.85, 0.80, True), rule, 1).promote
    small = judge(Scores("roc_auc", 0.805, 0.80, True), rule, 1)
    assert not small.promote and "gain +0.005 < the 0.01 required" in small.reason
    assert not judge(Scores("roc_auc", 0.65, None, True), rule, None).promote


def test_lower_is_better_metrics_turn_the_gain_around() -> None:
    better = judge(Scores("rmse", 4.0, 5.0, False), PromotionRule(), 2)
    worse = judge(Scores("rmse", 6.0, 5.0, False), PromotionRule(), 2)
    assert better.promote and not worse.promote


def test_the_first_version_and_an_unjudgeable_champion_promote() -> None:
    assert judge(Scores("roc_auc", 0.6, None, True), PromotionRule(), None).promote
    reason = judge(Scores("roc_auc", 0.6, None, True), PromotionRule(), 4).reason
    assert "v4 cannot be scored" in reason
    assert judge(None, PromotionRule(), 4).promote  # nothing to judge by


def test_recorded_scores_skip_a_flag_rate_and_compare_clusters_by_silhouette() -> None:
    anomaly = {"metric": "flag_rate", "metrics": {"train": {"flag_rate": 0.02}}}
    assert recorded_scores(anomaly, anomaly) is None
    seg = {"metric": "bic", "metrics": {"train": {"silhouette": 0.3, "bic": 10.0}}}
    scores = recorded_scores(seg, seg)
    assert scores is not None and scores.metric == "silhouette" and not scores.same_rows


def _event(version: int, action: str) -> dict:
    return {"version": version, "action": action}


def test_the_log_replays_into_champion_status_pins_and_rollbacks() -> None:
    events = [_event(1, "promoted"), _event(2, "rejected"), _event(3, "promoted")]
    state = serving([1, 2, 3], events)
    assert state.champion == 3 and state.status == {1: "retired", 2: "rejected", 3: "champion"}
    assert previous_champion(events) == 1
    events += [_event(1, "rolled_back")]
    assert serving([1, 2, 3], events).champion == 1 and previous_champion(events) is None
    pinned = serving([1, 2, 3], [*events, _event(2, "pinned")])
    assert pinned.version == 2 and pinned.champion == 1 and pinned.status[2] == "pinned"
    unpinned = serving([1, 2, 3], [*events, _event(2, "pinned"), _event(2, "unpinned")])
    assert unpinned.version == 1


def test_a_model_without_a_log_is_served_by_its_newest_version() -> None:
    assert serving([1, 2], []).champion == 2
