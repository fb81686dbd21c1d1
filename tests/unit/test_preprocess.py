from __future__ import annotations

import numpy as np
import pyarrow as pa

from dbt_automl._preprocess import (
    MISSING,
    DateParts,
    FeatureSchema,
    QuantileClipper,
    build_preprocessor,
    infer_schema,
    to_frame,
)
from tests.conftest import churn_like_frame


def _features() -> pa.Table:
    frame = churn_like_frame(400).drop(columns=["is_churned"])
    frame["constant"] = 7
    frame["row_code"] = [f"r{i}" for i in range(len(frame))]
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_infer_schema_types_encodes_and_drops_with_reasons() -> None:
    schema = infer_schema(_features())
    encodings = {c.name: (c.kind, c.encoding) for c in schema.columns}
    assert encodings["tenure_days"] == ("numeric", "scaled")
    assert encodings["tier"] == ("categorical", "one_hot")
    assert encodings["favourite_merchant"] == ("categorical", "target")
    assert encodings["signup_at"] == ("datetime", "date_parts")
    assert encodings["has_card"] == ("boolean", "scaled")
    reasons = {d.name: d.reason for d in schema.dropped}
    assert reasons["constant"].startswith("constant")
    assert reasons["row_code"].startswith("id-like")
    assert FeatureSchema.from_dict(schema.to_dict()) == schema


def test_to_frame_turns_nulls_into_nan_and_missing_label() -> None:
    table = pa.table({"x": pa.array([1, None], pa.int64()), "c": pa.array(["a", None])})
    schema = infer_schema(pa.table({"x": [1, 2, 3], "c": ["a", "b", "a"]}))
    frame = to_frame(table, schema)
    assert np.isnan(frame["x"][1])
    assert frame["c"].tolist() == ["a", MISSING]


def test_clipper_learns_bounds_from_training_rows_only() -> None:
    train = np.arange(1000, dtype=float).reshape(-1, 1)
    clipper = QuantileClipper(0.01, 0.99).fit(train)
    out = clipper.transform(np.array([[-1e9], [1e9], [np.nan]]))
    assert out[0, 0] >= 9 and out[1, 0] <= 990
    assert np.isnan(out[2, 0])


def test_date_parts() -> None:
    import pandas as pd

    frame = pd.DataFrame({"d": pd.to_datetime(["2024-03-05 14:00", None])})
    out = DateParts().fit(frame).transform(frame)
    assert out[0].tolist()[:4] == [2024, 3, 1, 14]
    assert np.isnan(out[1]).all()


def test_preprocessor_scores_unseen_categories() -> None:
    table = _features()
    schema = infer_schema(table)
    frame = to_frame(table, schema)
    y = np.arange(len(frame)) % 2
    pre = build_preprocessor(schema, "binary", seed=0).fit(frame, y)
    fresh = frame.head(3).copy()
    fresh["tier"] = "diamond"
    fresh["favourite_merchant"] = "never-seen"
    out = pre.transform(fresh)
    assert out.shape[0] == 3 and np.isfinite(out).all()
