"""Bad interactions are refused with the model, the column and the fix, or get a stated
fallback; the holdout takes each user's latest interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dbt_automl.errors import TrainingDataError
from dbt_automl.recommendation import prepare_interactions
from dbt_automl.recommendation._data import I, T, U, W, split_holdout
from tests.unit.recommendation.conftest import Recorder, config, interactions, table_of


def _rows(*rows: tuple) -> pa.Table:
    frame = pd.DataFrame(rows, columns=["customer_id", "merchant_category", "amount", "day"])
    frame["purchased_at"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame.pop("day"), "D")
    return table_of(frame)


def test_an_empty_interactions_table_is_refused() -> None:
    empty = table_of(interactions()).slice(0, 0)
    with pytest.raises(
        TrainingDataError, match=r"card_offer_model: the interactions table has no"
    ):
        prepare_interactions(empty, config(), Recorder())


@pytest.mark.parametrize("column", ["customer_id", "merchant_category", "amount", "purchased_at"])
def test_a_missing_column_names_the_column_the_key_and_the_fix(column: str) -> None:
    table = table_of(interactions(users=8).drop(columns=[column]))
    with pytest.raises(TrainingDataError, match=rf"column '{column}' \(meta.automl.\w+_column\)"):
        prepare_interactions(table, config(), Recorder())


def test_duplicate_pairs_are_summed_and_said() -> None:
    log = Recorder()
    table = _rows(
        ("c1", "groceries", 10.0, 1),
        ("c1", "groceries", 5.0, 9),
        ("c1", "fuel", 40.0, 3),
        ("c2", "groceries", 7.0, 2),
        ("c1", "groceries", 1.0, 4),
    )
    data = prepare_interactions(table, config(), log)
    assert len(data.frame) == 3
    assert data.notes["duplicate_rows_summed"] == 2
    pair = data.frame[
        (data.users[data.frame[U]] == "c1") & (data.items[data.frame[I]] == "groceries")
    ]
    assert pair[W].item() == pytest.approx(16.0)
    assert pair[T].item() == pd.Timestamp("2025-01-10").value  # the latest purchase
    assert log.said("2 row(s) repeat a (user, item) pair", "summed", "amount added up")


def test_without_a_weight_column_repeats_are_counted() -> None:
    table = _rows(("c1", "fuel", 1.0, 1), ("c1", "fuel", 1.0, 2), ("c1", "fuel", 1.0, 3))
    data = prepare_interactions(table, config(weight_column=None), Recorder())
    assert data.frame[W].tolist() == [3.0]


def test_weights_that_are_null_or_not_positive_are_dropped_and_said() -> None:
    log = Recorder()
    table = _rows(
        ("c1", "fuel", 10.0, 1),
        ("c1", "travel", 0.0, 2),
        ("c2", "fuel", -3.0, 3),
        ("c2", "travel", None, 4),
        ("c3", None, 5.0, 5),
    )
    data = prepare_interactions(table, config(), log)
    assert len(data.frame) == 1
    assert data.notes == {
        "dropped_without_user_or_item": 1,
        "dropped_bad_weight": 3,
        "single_interaction_users": 1,
    }
    assert log.said("dropped 3 row(s)", "amount that is null, not finite or <= 0")
    assert log.said("1 user(s) have one interaction", "nothing of theirs can be held out")


def test_no_usable_row_left_is_refused() -> None:
    table = _rows(("c1", "fuel", 0.0, 1), ("c2", "fuel", -1.0, 2))
    with pytest.raises(TrainingDataError, match=r"none of the 2 rows is a usable interaction"):
        prepare_interactions(table, config(), Recorder())


def test_a_text_weight_is_refused() -> None:
    frame = interactions(users=8).astype({"amount": str})
    with pytest.raises(TrainingDataError, match=r"column 'amount'.*must be numeric.*Fix:"):
        prepare_interactions(table_of(frame), config(), Recorder())


def test_a_text_time_is_refused() -> None:
    frame = interactions(users=8).astype({"purchased_at": str})
    with pytest.raises(TrainingDataError, match=r"column 'purchased_at'.*date, a timestamp"):
        prepare_interactions(table_of(frame), config(), Recorder())


def test_the_holdout_is_each_users_latest_share_and_never_all() -> None:
    table = _rows(
        *[("c1", f"m{k}", 1.0, k) for k in range(10)],  # 10 interactions: latest 2 held out
        ("c2", "m0", 1.0, 5),
        ("c2", "m1", 1.0, 1),  # 2 interactions: the later one held out
        ("c3", "m0", 1.0, 1),  # 1 interaction: kept for training
    )
    data = prepare_interactions(table, config(), Recorder())
    train, test = split_holdout(data, data.frame, 0.2, seed=0)
    held = {(data.users[u], data.items[i]) for u, i in zip(test[U], test[I], strict=True)}
    assert held == {("c1", "m8"), ("c1", "m9"), ("c2", "m0")}
    assert len(train) + len(test) == len(data.frame)


def test_without_time_the_holdout_is_random_but_repeatable() -> None:
    data = prepare_interactions(
        table_of(interactions(users=30)), config(time_column=None), Recorder()
    )
    first = split_holdout(data, data.frame, 0.2, seed=3)[1]
    again = split_holdout(data, data.frame, 0.2, seed=3)[1]
    other = split_holdout(data, data.frame, 0.2, seed=4)[1]
    assert first.equals(again) and not first.equals(other)
    assert np.all(first.groupby(U).size() >= 1)
