"""The segmentation engine on real fits: k, ids, labels, profiles, assignment, budget."""

from __future__ import annotations

import io
import logging

import joblib
import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import adjusted_rand_score

from dbt_automl.clustering import ASSIGNMENT_COLUMNS, ClusterModel, train_clusterer
from tests.unit.clustering.conftest import SIZES, blobs, config


@pytest.fixture(scope="module")
def first() -> tuple[pa.Table, np.ndarray, object]:
    table, blob = blobs()
    cfg = config(labels={1: "steady earners", "4": "high spenders"})
    return table, blob, train_clusterer(table, cfg, logging.getLogger("test"))


def test_k_is_found_on_clear_blobs_and_the_whole_curve_is_recorded(first) -> None:
    table, blob, result = first
    assert result.metrics["k"] == 4
    segments = result.model.assign(table)["segment"].to_numpy()
    assert adjusted_rand_score(blob, segments) > 0.95
    # The region column is one-hot: mixtures do not suit it, k-means by silhouette instead.
    assert result.metrics["family"] == "kmeans"
    assert "distinct values" in result.decisions["mixtures"]
    assert [p["k"] for p in result.curve["kmeans"]] == list(range(2, 9))
    best = max(result.curve["kmeans"], key=lambda p: p["silhouette"])
    assert best["k"] == 4
    assert sum(row["chosen"] for row in result.leaderboard) == 1
    assert result.metrics["kept_share"] is None  # a first version has nothing to keep


def test_first_ids_run_by_size_and_labels_attach(first) -> None:
    table, blob, result = first
    assigned = result.model.assign(table)
    for size, blob_index in zip(SIZES, range(4), strict=True):
        ids = assigned["segment"][blob == blob_index]
        assert ids.mode()[0] == blob_index + 1  # the largest blob is segment 1
        assert len(ids) == size
    labels = dict(zip(assigned["segment"], assigned["segment_label"], strict=True))
    assert labels[1] == "steady earners" and labels[4] == "high spenders"
    assert labels[2] is None
    assert {p["segment"]: p["label"] for p in result.profiles}[4] == "high spenders"


def test_profiles_name_the_feature_that_sets_a_segment_apart(first) -> None:
    _, _, result = first
    by_id = {p["segment"]: p for p in result.profiles}
    assert [by_id[s]["size"] for s in (1, 2, 3, 4)] == list(SIZES)
    assert sum(p["share"] for p in result.profiles) == pytest.approx(1.0)
    # Segment 2 (blob centre x=6, y=0, z=3) stands apart by income, in currency units.
    income = next(t for t in by_id[2]["traits"] if t["feature"] == "income")
    assert income["std_diff"] > 0.8
    assert income["segment_mean"] == pytest.approx(56_000, rel=0.01)
    assert income["overall_mean"] == pytest.approx(50_000 + 1_000 * 6 * 0.5, rel=0.02)
    assert "income +" in by_id[2]["description"]
    # Segment 4 (the small blob): its region is a trait, as a share against the whole.
    region = next(t for t in by_id[4]["traits"] if t["feature"] == "region = west")
    assert region["unit"] == "share" and region["segment_mean"] > 0.85
    assert len(by_id[1]["traits"]) == 5


def test_assign_gives_distance_and_probability_and_the_model_pickles_small(first) -> None:
    table, _, result = first
    assigned = result.model.assign(table.to_batches()[0])
    assert tuple(assigned.columns) == ASSIGNMENT_COLUMNS
    assert assigned["segment"].dtype == np.int64
    assert ((assigned["probability"] >= 0) & (assigned["probability"] <= 1)).all()
    assert (assigned["distance"] >= 0).all()
    # A row far between two segments is less sure than one at a centre.
    centre = result.model.assign(table.slice(0, 1))
    assert centre["probability"][0] > 0.5
    buffer = io.BytesIO()
    joblib.dump(result.model, buffer)
    assert len(buffer.getvalue()) < 50_000  # holds encoders and centroids, not the rows
    again: ClusterModel = joblib.load(io.BytesIO(buffer.getvalue()))
    assert (again.assign(table)["segment"] == result.model.assign(table)["segment"]).all()


def test_ids_stay_with_their_segments_after_a_retrain_with_ten_percent_more(first) -> None:
    table, _, result = first
    extra, _ = blobs(sizes=(40, 30, 20, 10), seed=7, start_id=10_000)
    grown = pa.concat_tables([table, extra])
    again = train_clusterer(grown, config(), logging.getLogger("test"), previous=result.model)
    before = result.model.assign(table)["segment"].to_numpy()
    after = again.model.assign(table)["segment"].to_numpy()
    assert np.mean(before == after) >= 0.9
    assert again.metrics["kept_share"] >= 0.9
    assert [p["previous"] for p in again.matching["pairs"]] == [1, 2, 3, 4]
    assert again.matching["fresh"] == [] and again.matching["retired"] == []
    assert any(row["warm_start"] and row["chosen"] for row in again.leaderboard)


def test_ids_follow_the_match_not_the_size_when_the_order_of_segments_changes(first) -> None:
    table, blob, result = first
    # The smallest blob (segment 4) grows to the largest; rows arrive in another order.
    grown, grown_blob = blobs(sizes=(400, 300, 200, 700), seed=3)
    order = np.random.default_rng(1).permutation(grown.num_rows)
    shuffled = grown.take(pa.array(order))
    again = train_clusterer(shuffled, config(seed=9), logging.getLogger("test"), result.model)
    assigned = again.model.assign(grown)["segment"].to_numpy()
    for blob_index in range(4):
        assert np.bincount(assigned[grown_blob == blob_index]).argmax() == blob_index + 1
    assert again.metrics["kept_share"] >= 0.95


def test_an_extra_segment_gets_a_fresh_id_above_the_previous_ones() -> None:
    log = logging.getLogger("test")
    three, _ = blobs(sizes=(400, 300, 200), region=False)
    v1 = train_clusterer(three, config(criterion="silhouette"), log)
    assert v1.metrics["k"] == 3
    four, blob = blobs(sizes=(400, 300, 200, 300), region=False, seed=5)
    v2 = train_clusterer(four, config(criterion="silhouette"), log, previous=v1.model)
    assert v2.metrics["k"] == 4
    assert v2.matching["fresh"] == [4]
    assigned = v2.model.assign(four)["segment"].to_numpy()
    assert np.bincount(assigned[blob == 3]).argmax() == 4


def test_continuous_columns_choose_a_mixture_by_bic_and_record_it() -> None:
    table, blob = blobs(region=False)
    result = train_clusterer(table, config(), logging.getLogger("test"))
    assert result.metrics["family"] == "gmm" and result.metrics["k"] == 4
    assert result.metrics["bic"] is not None
    assert result.decisions["choice"]["criterion"] == "bic"
    assert all(p["bic"] is not None for p in result.curve["gmm"])
    probability = result.model.assign(table)["probability"]
    assert probability.between(0, 1).all() and probability.median() > 0.9
    segments = result.model.assign(table)["segment"].to_numpy()
    assert adjusted_rand_score(blob, segments) > 0.95
    extra, _ = blobs(sizes=(40, 30, 20, 10), seed=7, region=False, start_id=10_000)
    grown = pa.concat_tables([table, extra])
    again = train_clusterer(grown, config(), logging.getLogger("test"), previous=result.model)
    assert again.metrics["family"] == "gmm" and again.metrics["kept_share"] >= 0.9
    after = again.model.assign(table)["segment"].to_numpy()
    assert np.mean(after == segments) >= 0.9


def test_hdbscan_is_tried_when_asked_and_the_decision_says_why_not_chosen(first) -> None:
    table, _, _ = first
    cfg = config(families=["kmeans", "hdbscan"], k_max=5)
    result = train_clusterer(table, cfg, logging.getLogger("test"))
    rows = [row for row in result.leaderboard if row["family"] == "hdbscan"]
    assert len(rows) == 1
    if result.metrics["family"] != "hdbscan":
        assert result.decisions["hdbscan"].startswith("not chosen")
    assert result.metrics["k"] == 4


def test_a_spent_budget_skips_the_remaining_candidates_saying_so(caplog) -> None:
    table, _ = blobs()
    with caplog.at_level(logging.WARNING):
        result = train_clusterer(table, config(time_budget_s=1e-9), logging.getLogger("t"))
    fitted = [row for row in result.leaderboard if row["note"] is None]
    skipped = [
        row for row in result.leaderboard if row["note"] == "skipped: not within the time budget"
    ]
    assert len(fitted) == 1 and len(skipped) == 6
    assert result.metrics["k"] == 2  # the one candidate that ran
    assert "kmeans k=8" in " ".join(result.decisions["budget"]["skipped"])
    assert "time_budget_s" in caplog.text


def test_big_tables_are_sampled_to_max_train_rows() -> None:
    table, _ = blobs()
    result = train_clusterer(table, config(max_train_rows=300), logging.getLogger("test"))
    assert result.n_rows == 300
    assert result.decisions["sampling"] == {"rows": 1000, "sampled": True, "kept": 300}


def test_the_model_does_not_grow_with_the_training_rows() -> None:
    log = logging.getLogger("test")
    sizes = []
    for scale in (1, 4):
        table, _ = blobs(sizes=tuple(scale * s for s in SIZES), seed=scale)
        model = train_clusterer(table, config(k_max=4), log).model
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        sizes.append(len(buffer.getvalue()))
    assert sizes[1] < 1.2 * sizes[0]


def test_a_label_for_a_segment_the_version_lacks_is_said() -> None:
    table, _ = blobs()
    result = train_clusterer(table, config(k_max=4, labels={9: "ghosts"}), logging.getLogger())
    assert "[9]" in result.decisions["labels"]
    assert "ghosts" not in set(result.model.assign(table)["segment_label"].dropna())
