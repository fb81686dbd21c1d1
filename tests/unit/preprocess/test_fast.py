"""The Arrow scoring path equals the frame path: same matrix, same predictions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import dbt_automl
from dbt_automl.preprocess import FastTransform, build_preprocessor, infer_schema, to_frame
from dbt_automl.tasks import TASKS
from tests.conftest import churn_like_frame
from tests.unit.preprocess.test_schema import _features


def _scored_rows(table: pa.Table) -> pa.Table:
    # Rows the preprocessor never saw: unseen and null categories, nulls everywhere,
    # infinities, strings that do not parse, and a dictionary-encoded category column.
    rows = table.slice(0, 40).to_pandas()
    rows.loc[0, "tier"] = "diamond"
    rows.loc[1, "favourite_merchant"] = "m999"
    rows.loc[2, ["tier", "favourite_merchant", "rare_region", "is_vip"]] = None
    rows.loc[3, ["spend_90d", "tenure_days"]] = [np.inf, -np.inf]
    rows.loc[4, "income_text"] = "n/a"
    rows.loc[5, "last_seen"] = "31/02/2024"
    out = pa.Table.from_pandas(rows, schema=table.schema, preserve_index=False)
    index = out.schema.get_field_index("tier")
    return out.set_column(index, "tier", pc.dictionary_encode(out["tier"]))


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_the_fast_transform_equals_the_column_transformer(task_name: str) -> None:
    table = _features(400)
    schema = infer_schema(table)
    frame = to_frame(table, schema)
    y = np.arange(400) % (2 if task_name == "binary" else 3)
    y = y.astype(float) * 1.5 if task_name == "regression" else y
    pre = build_preprocessor(schema, TASKS[task_name](), seed=0).fit(frame, y)
    rows = _scored_rows(table)
    expected = pre.transform(to_frame(rows, schema))
    got = FastTransform(pre, schema).transform(rows)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bagging", [False, True])
def test_arrow_scoring_gives_the_models_own_predictions(bagging: bool) -> None:
    frame = churn_like_frame(400, seed=3)
    settings = {"target": "is_churned", "max_trials": 4, "bagging": bagging, "cv_folds": 3}
    fitted = dbt_automl.fit(frame, settings)
    model, schema = fitted.model_, fitted.result_.schema
    table = pa.Table.from_pandas(frame, preserve_index=False)
    expected = model.predict_raw(to_frame(table, schema))
    np.testing.assert_allclose(model.predict_raw_arrow(table, schema), expected, atol=1e-12)
    batch = table.to_batches(max_chunksize=97)[1]  # a record batch, not a table
    np.testing.assert_allclose(
        model.predict_raw_arrow(batch, schema), model.predict_raw(to_frame(batch, schema))
    )
