from __future__ import annotations

import io

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.preprocess import (
    MISSING,
    Column,
    FeatureSchema,
    build_preprocessor,
    describe_fitted,
    infer_schema,
    to_frame,
)
from dbt_automl.tasks import BinaryClassification
from tests.conftest import churn_like_frame

WORDS = np.array(["late", "parcel", "refund", "great", "service", "broken", "fast", "box"])


def _features(n: int = 400) -> pa.Table:
    frame = churn_like_frame(n).drop(columns=["is_churned"])
    rng = np.random.default_rng(1)
    frame["constant"] = 7
    frame["row_code"] = [f"r{i}" for i in range(len(frame))]
    frame["order_ref"] = rng.permutation(10**6)[:n].astype(str)
    frame["income_text"] = np.where(
        rng.random(n) < 0.2, "", frame["spend_90d"].round(2).astype(str)
    )
    frame["is_vip"] = rng.choice(["Y", "N"], n)
    frame["last_seen"] = (frame["signup_at"] + pd.Timedelta(days=30)).dt.strftime("%d/%m/%Y")
    frame["note"] = [" ".join(rng.choice(WORDS, 7)) + f" ticket {i}" for i in range(n)]
    frame["rare_region"] = np.where(np.arange(n) < 3, "atlantis", rng.choice(["n", "s"], n))
    return pa.Table.from_pandas(frame, preserve_index=False)


def _fitted(table: pa.Table) -> tuple:
    schema = infer_schema(table)
    frame = to_frame(table, schema)
    y = (np.arange(len(frame)) % 3 == 0).astype(int)
    return schema, frame, build_preprocessor(schema, BinaryClassification(), seed=0).fit(frame, y)


def test_infer_schema_types_encodes_and_drops_with_reasons() -> None:
    schema = infer_schema(_features())
    encodings = {c.name: (c.kind, c.parsed_as, c.encoding) for c in schema.columns}
    assert encodings["tenure_days"] == ("numeric", None, "scaled")
    assert encodings["tier"] == ("categorical", None, "one_hot")
    assert encodings["favourite_merchant"] == ("categorical", None, "target")
    assert encodings["signup_at"] == ("datetime", None, "date_parts")
    assert encodings["has_card"] == ("boolean", None, "scaled")
    assert encodings["income_text"] == ("categorical", "numeric", "scaled")
    assert encodings["is_vip"] == ("categorical", "boolean", "scaled")
    assert encodings["last_seen"] == ("categorical", "datetime", "date_parts")
    assert encodings["note"] == ("categorical", None, "tfidf")  # unique per row, yet kept
    reasons = {d.name: d.reason for d in schema.dropped}
    assert reasons["constant"].startswith("constant")
    assert reasons["row_code"].startswith("id-like")
    assert reasons["customer_id"].startswith("id-like (unique consecutive integers")
    assert reasons["order_ref"].startswith("id-like (integer codes as text")
    assert FeatureSchema.from_dict(schema.to_dict()) == schema


def test_schema_dicts_written_before_parsed_as_still_load() -> None:
    old = {
        "columns": [{"name": "x", "arrow_type": "double", "kind": "numeric", "encoding": "scaled"}]
    }
    assert FeatureSchema.from_dict(old).columns == (Column("x", "double", "numeric", "scaled"),)


def test_a_flag_with_nulls_is_kept_and_all_null_columns_are_dropped() -> None:
    table = pa.table({"flag": [1.0, None, None, 1.0], "empty": pa.nulls(4, pa.float64())})
    schema = infer_schema(table)
    assert schema.names() == ["flag"]
    assert schema.dropped[0].reason == "all values missing"


def test_to_frame_turns_nulls_into_nan_and_missing_label() -> None:
    table = pa.table({"x": pa.array([1, None], pa.int64()), "c": pa.array(["a", None])})
    schema = infer_schema(pa.table({"x": [1, 2, 3], "c": ["a", "b", "a"]}))
    frame = to_frame(table, schema)
    assert np.isnan(frame["x"][1])
    assert frame["c"].tolist() == ["a", MISSING]


def test_preprocessor_is_dense_and_records_its_decisions() -> None:
    schema, frame, pre = _fitted(_features())
    out = pre.transform(frame)
    assert isinstance(out, np.ndarray) and np.isfinite(out).all()
    names = pre.get_feature_names_out().tolist()
    assert len(names) == out.shape[1]
    # Only columns with missing values in training get an indicator.
    indicators = [n for n in names if "missingindicator" in n]
    assert indicators == [
        "scaled__missingindicator_spend_90d",
        "scaled__missingindicator_income_text",  # blank strings are missing numbers
    ]
    assert any(n.startswith("tfidf__note__text") for n in names)
    assert "date_parts__last_seen__month_sin" in names
    decisions = describe_fitted(pre, schema)
    assert list(decisions) == schema.names()
    assert decisions["rare_region"]["grouped_as_rare"] == 1  # 'atlantis' (3 rows)
    assert decisions["tier"] == decisions["tier"] | {"levels": 3, "grouped_as_rare": 0}
    assert decisions["spend_90d"]["missing_indicator"] is True
    assert decisions["tenure_days"]["missing_indicator"] is False
    assert decisions["last_seen"]["parsed_as"] == "datetime"
    assert decisions["note"]["components"] >= 1


def test_text_and_rare_levels_are_learned_from_training_rows_only() -> None:
    table = _features()
    schema = infer_schema(table)
    frame = to_frame(table, schema)
    train = frame.iloc[:200]
    pre = build_preprocessor(schema, BinaryClassification(), seed=0).fit(train, np.arange(200) % 2)
    text = pre.named_transformers_["tfidf"].steps[0][1]
    vocabulary = text.models_[0][0].vocabulary_
    assert "199" not in vocabulary and "ticket" in vocabulary
    assert np.isfinite(pre.transform(frame.iloc[200:])).all()


def test_fitted_preprocessor_pickles_and_scores_unseen_and_null_batches() -> None:
    table = _features()
    schema, frame, pre = _fitted(table)
    buffer = io.BytesIO()
    joblib.dump(pre, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    assert np.array_equal(loaded.transform(frame.head(5)), pre.transform(frame.head(5)))
    batch = pa.RecordBatch.from_pylist(table.slice(0, 3).to_pylist(), schema=table.schema)
    batch = batch.set_column(
        batch.schema.get_field_index("tier"), "tier", pa.array(["diamond"] * 3)
    )
    batch = batch.set_column(
        batch.schema.get_field_index("favourite_merchant"),
        "favourite_merchant",
        pa.array(["never-seen"] * 3),
    )
    for name in ("tenure_days", "spend_90d", "signup_at", "note", "last_seen", "is_vip"):
        i = batch.schema.get_field_index(name)
        batch = batch.set_column(i, name, pa.nulls(3, batch.schema.field(name).type))
    out = loaded.transform(to_frame(batch, schema))
    assert out.shape == (3, len(pre.get_feature_names_out())) and np.isfinite(out).all()
