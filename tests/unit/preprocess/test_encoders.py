"""The engine's transformers: what each learns in fit and replays in transform."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbt_automl.preprocess import (
    MISSING,
    RARE,
    DateParts,
    QuantileClipper,
    RareLevelGrouper,
    TextToDense,
)


def test_clipper_learns_bounds_from_training_rows_only() -> None:
    train = np.arange(1000, dtype=float).reshape(-1, 1)
    clipper = QuantileClipper(0.01, 0.99).fit(train)
    out = clipper.transform(np.array([[-1e9], [1e9], [np.nan]]))
    assert out[0, 0] >= 9 and out[1, 0] <= 990
    assert np.isnan(out[2, 0])


def test_clipper_keeps_rare_flags_and_zero_inflated_tails() -> None:
    flag = np.zeros(1000)
    flag[:3] = 1.0  # 0.3% positives: the 99.5% quantile is 0
    amount = np.zeros(1000)
    amount[:4] = [50.0, 80.0, 120.0, 900.0]
    clipper = QuantileClipper().fit(np.column_stack([flag, amount]))
    assert clipper.transform([[1.0, 900.0]]).tolist() == [[1.0, 900.0]]
    assert clipper.transform([[-5.0, 1e6]]).tolist() == [[0.0, 900.0]]  # training min/max


def test_rare_levels_and_unseen_levels_are_grouped() -> None:
    train = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 40 + ["c"] * 2 + [MISSING] * 8})
    grouper = RareLevelGrouper(min_count=5).fit(train)
    assert grouper.n_seen_ == [4] and sorted(grouper.levels_[0]) == sorted(["a", "b", MISSING])
    out = grouper.transform(pd.DataFrame({"c": ["a", "c", "never-seen", MISSING]}))
    assert out[:, 0].tolist() == ["a", RARE, RARE, MISSING]


def test_rare_share_scales_with_rows() -> None:
    train = pd.DataFrame({"c": ["a"] * 1990 + ["b"] * 10})
    assert RareLevelGrouper(min_count=5, min_share=0.01).fit(train).levels_[0].tolist() == ["a"]


def test_date_parts_cyclical_and_elapsed_from_the_training_reference() -> None:
    train = pd.DataFrame({"d": pd.to_datetime(["2024-03-05 14:30", "2024-01-01 00:00", None])})
    parts = DateParts().fit(train)
    names = parts.get_feature_names_out().tolist()
    assert names[:4] == ["d__year", "d__month", "d__dayofweek", "d__month_sin"]
    assert {"d__hour_cos", "d__days_before_ref", "d__missing"} <= set(names)
    later = pd.DataFrame({"d": pd.to_datetime(["2024-03-05 14:30", "2024-12-05 00:00", None])})
    out = dict(zip(names, parts.transform(later).T, strict=True))
    assert out["d__year"][0] == 2024 and out["d__dayofweek"][0] == 1 and out["d__hour"][0] == 14
    assert out["d__days_before_ref"][0] == 0  # the reference is the latest training date
    assert out["d__days_before_ref"][1] < 0  # after the reference: scoring the future
    # December and January sit next to each other on the circle, far apart on the line.
    assert np.isclose(out["d__month_cos"][1], np.cos(2 * np.pi * 11 / 12))
    assert np.isnan(out["d__year"][2]) and out["d__missing"].tolist() == [0, 0, 1]


def test_dates_without_times_get_no_hour_parts() -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-03-05", "2024-03-09"])})
    names = DateParts().fit(frame).get_feature_names_out().tolist()
    assert not any("hour" in n or "missing" in n for n in names)


def _reviews(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    good = ["great", "fast", "friendly", "perfect", "love"]
    bad = ["late", "broken", "rude", "refund", "never"]
    vocab = np.array(good + bad + ["the", "parcel", "order", "was"])
    texts = [" ".join(rng.choice(vocab, 8)) for _ in range(n)]
    return pd.DataFrame({"review": texts})


def test_text_becomes_dense_columns_fitted_on_training_rows_only() -> None:
    train, test = _reviews(300, 0), _reviews(50, 1)
    test.loc[0, "review"] = "zebra xylophone quokka"  # words never seen in training
    test.loc[1, "review"] = MISSING
    text = TextToDense(n_components=5, seed=0).fit(train)
    vectorizer, svd = text.models_[0]
    assert "zebra" not in vectorizer.vocabulary_ and svd.n_components == 5
    out = text.transform(test)
    assert isinstance(out, np.ndarray) and out.shape == (50, 5) and np.isfinite(out).all()
    assert np.allclose(out[0], 0) and np.allclose(out[1], 0)
    assert text.get_feature_names_out(["review"]).tolist()[0] == "review__text0"


def test_missing_dates_do_not_invent_a_time_of_day() -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-03-05", None, "2024-03-09"])})
    names = DateParts().fit(frame).get_feature_names_out().tolist()
    assert "d__missing" in names and not any("hour" in n for n in names)
