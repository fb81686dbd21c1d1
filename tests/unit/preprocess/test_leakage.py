"""Leakage warnings: a copied label is flagged, honest features are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.preprocess import infer_schema, leakage_warnings, to_frame
from dbt_automl.preprocess._leakage import MAX_ROWS
from dbt_automl.tasks import BinaryClassification, MulticlassClassification, Regression


def _frame(table: pa.Table) -> tuple[pd.DataFrame, object]:
    schema = infer_schema(table)
    return to_frame(table, schema), schema


def _honest(n: int, rng: np.random.Generator) -> dict:
    return {
        "spend": rng.gamma(2.0, 50.0, n),
        "tier": rng.choice(["basic", "gold", "platinum"], n),
        "merchant": [f"m{i}" for i in rng.integers(0, 300, n)],
        "signup_at": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
    }


def test_binary_copied_label_is_flagged_and_honest_columns_are_not() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    y = (rng.random(n) < 0.3).astype(int)
    data = _honest(n, rng)
    data["churn_reason"] = np.where(y == 1, "moved", "none")  # written after the outcome
    data["cancelled_at"] = np.where(y == 1, "2024-05-01", None)  # null unless churned
    data["refund"] = y * rng.gamma(2.0, 10.0, n) + rng.normal(0, 0.01, n) * (y == 0)
    frame, schema = _frame(pa.table(data))
    messages = leakage_warnings(frame, y, BinaryClassification(), schema)
    flagged = {m.split("'")[1] for m in messages}
    assert flagged == {"churn_reason", "cancelled_at", "refund"}
    assert "looks like target leakage ('churn_reason' alone gives ROC AUC 1.000)" in messages[0]
    assert "check it is known before the prediction time" in messages[0]


def test_regression_and_multiclass() -> None:
    rng = np.random.default_rng(1)
    n = 1500
    data = _honest(n, rng)
    y = data["spend"] * 2 + rng.normal(0, 30, n)
    data["total_with_tax"] = y * 1.2
    frame, schema = _frame(pa.table(data))
    assert [m.split("'")[1] for m in leakage_warnings(frame, y, Regression(), schema)] == [
        "total_with_tax"
    ]
    classes = rng.integers(0, 3, n)
    data = _honest(n, rng)
    data["segment_code"] = np.array(["A", "B", "C"])[classes]
    data["score"] = classes * 10 + rng.random(n) * 9  # continuous, yet it gives the class away
    frame, schema = _frame(pa.table(data))
    flagged = [
        m.split("'")[1]
        for m in leakage_warnings(frame, classes, MulticlassClassification(), schema)
    ]
    assert flagged == ["segment_code", "score"]


def test_a_dominant_majority_class_is_not_leakage() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    y = np.where(rng.random(n) < 0.995, 0, rng.integers(1, 3, n))
    frame, schema = _frame(pa.table({"tier": rng.choice(["a", "b"], n)}))
    assert leakage_warnings(frame, y, MulticlassClassification(), schema) == []


def test_large_tables_are_checked_on_a_sample() -> None:
    # Speed is by construction (at most MAX_ROWS rows are read, no wall-clock assertion):
    # about 0.5 s for 200k rows x 30 columns on 2 cores.
    rng = np.random.default_rng(3)
    n = MAX_ROWS + 10_000
    y = (rng.random(n) < 0.01).astype(int)  # rare positives survive the sample
    data = {"x": rng.normal(size=n), "leak": y + rng.normal(0, 0.01, n)}
    frame, schema = _frame(pa.table(data))
    messages = leakage_warnings(frame, y, BinaryClassification(), schema)
    assert [m.split("'")[1] for m in messages] == ["leak"]
