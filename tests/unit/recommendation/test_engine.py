"""Real fits on a small interactions table with planted taste groups: the chosen model beats
popularity on the latest interactions; recommendations skip what users have, fall back to
popular items for strangers, never offer what left the catalogue, and survive pickling."""

from __future__ import annotations

import joblib
import pandas as pd
import pytest

from dbt_automl.errors import TrainingDataError
from dbt_automl.recommendation import RecommendResult, train_recommender
from tests.unit.recommendation.conftest import Recorder, config, interactions, table_of


@pytest.fixture(scope="module")
def trained() -> tuple[RecommendResult, Recorder]:
    log = Recorder()
    return train_recommender(table_of(interactions()), config(time_budget_s=6), log), log


def test_the_chosen_model_beats_popularity_on_the_latest_interactions(trained) -> None:
    result, log = trained
    m = result.metrics
    assert result.model.candidate != "popularity"
    assert m["precision_at_n"] > 1.5 * m["popularity_precision_at_n"] > 0
    assert m["lift_over_popularity"] == pytest.approx(
        m["precision_at_n"] / m["popularity_precision_at_n"]
    )
    assert (
        m["ndcg_at_n"] > m["popularity_ndcg_at_n"]
        and m["recall_at_n"] > m["popularity_recall_at_n"]
    )
    assert (m["n_users"], m["n_items"], m["n_evaluated_users"]) == (240, 60, 240)
    assert 0 < m["coverage"] <= 1
    assert log.said("chose", result.model.candidate, "lift")


def test_the_leaderboard_has_every_candidate_and_one_choice(trained) -> None:
    result, _ = trained
    board = pd.DataFrame(result.leaderboard)
    assert board["candidate"].iloc[0] == "popularity"
    assert set(board["candidate"]) == {"popularity", "item_knn", "als", "bpr"}
    assert {"params", "precision_at_n", "recall_at_n", "ndcg_at_n", "seconds"} <= set(board)
    assert board["chosen"].sum() == 1
    chosen = board[board["chosen"]].iloc[0]
    assert chosen["precision_at_n"] == board["precision_at_n"].max()
    assert (
        chosen["candidate"] == result.model.candidate and chosen["params"] == result.model.params
    )
    popular = board["precision_at_n"].iloc[0]
    # The planted groups are learnable: each family's best beats popularity on validation.
    assert (board.groupby("candidate")["precision_at_n"].max().drop("popularity") > popular).all()


def test_decisions_say_what_was_summed_held_out_and_chosen_on(trained) -> None:
    result, log = trained
    d = result.decisions
    pairs = d["interactions"]["pairs"]
    assert d["interactions"]["duplicate_rows_summed"] == result.n_rows - pairs > 0
    assert log.said(f"{result.n_rows - pairs} row(s) repeat a (user, item) pair")
    assert d["holdout"]["order"] == "latest by purchased_at"
    assert d["selection"]["on"].startswith("validation")
    assert d["chosen"]["candidate"] == result.model.candidate
    assert "1 + alpha * strength" in d["strength"]


def test_recommendations_skip_what_each_user_already_has(trained) -> None:
    model = trained[0].model
    recs = model.recommend(None)
    assert recs["user"].nunique() == 240 and set(recs["source"]) == {"model"}
    assert recs.groupby("user")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()
    frame = interactions()
    had = set(zip(frame["customer_id"], frame["merchant_category"], strict=True))
    assert not had & set(zip(recs["user"], recs["item"], strict=True))
    assert (recs.groupby("user")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_cold_start_users_get_the_popular_items_and_it_says_so(trained) -> None:
    model = trained[0].model
    log = Recorder()
    recs = model.recommend(["c0003", "stranger", "c0003"], n=3, log=log)
    assert recs["user"].tolist() == ["c0003"] * 3 + ["stranger"] * 3
    stranger = recs[recs["user"] == "stranger"]
    assert set(stranger["source"]) == {"popular"}
    counts = interactions().groupby("merchant_category")["customer_id"].nunique()
    assert set(stranger["item"]) == set(counts.nlargest(3).index)
    assert log.said("1 user(s) not seen in training", "popular")


def test_items_gone_from_the_catalogue_are_never_recommended(trained) -> None:
    model = trained[0].model
    before = model.recommend(None)
    gone = set(before["item"].value_counts().index[:3])
    log = Recorder()
    offered = [*(set(model.items) - gone), "brand_new"]
    after = model.recommend([*model.users[:50], "stranger"], catalogue=offered, log=log)
    assert not gone & set(after["item"])
    assert after.groupby("user").size().eq(5).all()
    assert log.said("3 of 60 trained item(s) are not in the catalogue")
    assert log.said("1 catalogue item(s) have no interactions in training")


def test_a_pickled_model_recommends_the_same(trained, tmp_path) -> None:
    model = trained[0].model
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    pd.testing.assert_frame_equal(
        loaded.recommend(["c0001", "nobody"], log=Recorder()),
        model.recommend(["c0001", "nobody"], log=Recorder()),
    )


def test_a_user_with_one_interaction_trains_but_is_not_evaluated() -> None:
    frame = interactions(users=40)
    frame = pd.concat([frame, frame.iloc[[0]].assign(customer_id="lonely")], ignore_index=True)
    log = Recorder()
    result = train_recommender(
        table_of(frame), config(candidates=["item_knn"], time_budget_s=2), log
    )
    assert result.metrics["n_users"] == 41 and result.metrics["n_evaluated_users"] == 40
    assert result.decisions["holdout"]["not_evaluated_users"] == 1
    assert log.said("1 user(s) have one interaction")
    lonely = result.model.recommend(["lonely"], log=Recorder())
    assert len(lonely) == 5 and frame["merchant_category"].iloc[0] not in set(lonely["item"])


def test_no_user_with_two_interactions_is_refused() -> None:
    frame = interactions(users=30).drop_duplicates("customer_id")
    with pytest.raises(TrainingDataError, match=r"no user has two or more interactions.*Fix:"):
        train_recommender(table_of(frame), config(), Recorder())


def test_without_exclude_seen_a_user_may_be_offered_what_they_have() -> None:
    frame = interactions(users=40)
    cfg = config(candidates=["popularity"], exclude_seen=False, time_budget_s=2)
    model = train_recommender(table_of(frame), cfg, Recorder()).model
    recs = model.recommend(["c0000"], n=10, log=Recorder())
    had = set(frame.loc[frame["customer_id"] == "c0000", "merchant_category"])
    assert had & set(recs["item"])


def test_too_few_users_for_validation_choose_on_the_test_holdout_and_say_so() -> None:
    frame = interactions(users=8, per_user=4)
    log = Recorder()
    result = train_recommender(table_of(frame), config(candidates=["item_knn"]), log)
    assert result.decisions["selection"]["on"].startswith("test holdout")
    assert log.said("users left for validation", "optimistic")
