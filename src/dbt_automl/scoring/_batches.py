"""Streaming batch scoring: Arrow record batches in, prediction batches out.

Memory stays bounded by the batch size: rows are never gathered into one frame. The task
decides the prediction columns (``prediction``, then e.g. ``probability``,
``probabilities``); provenance columns close every row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl._model import AutoMLModel
from dbt_automl.preprocess import FeatureSchema, to_frame
from dbt_automl.tasks import task_named

PROVENANCE = [
    pa.field("model_name", pa.string()),
    pa.field("model_version", pa.int32()),
    pa.field("scored_at", pa.timestamp("us")),
]


def output_schema(metadata: dict[str, Any], rows_schema: pa.Schema) -> pa.Schema:
    """The prediction table's columns: ids, the task's prediction columns, provenance."""
    ids = [rows_schema.field(c["name"]) for c in metadata["id_columns"]]
    task = task_named(metadata["task"])
    return pa.schema(ids + task.prediction_fields(_label_type(metadata)) + PROVENANCE)


def _label_type(metadata: dict[str, Any]) -> pa.DataType:
    try:
        return pa.type_for_alias(metadata["target_arrow_type"])
    except ValueError:
        return pa.string()


def score_batches(
    model: AutoMLModel,
    metadata: dict[str, Any],
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    scored_at: datetime,
) -> Iterator[pa.RecordBatch]:
    """Predict each input batch and yield the matching output batch."""
    from threadpoolctl import threadpool_limits

    features = FeatureSchema.from_dict(metadata["features"])
    ids = [c["name"] for c in metadata["id_columns"]]
    fields = [schema.field(i) for i in range(len(ids), len(schema) - len(PROVENANCE))]
    for batch in batches:
        if batch.num_rows == 0:
            continue
        with threadpool_limits(limits=1):  # one core per model, as in engine.train
            raw = model.predict_raw(to_frame(batch, features))
        columns: list[pa.Array] = [batch.column(name) for name in ids]
        labels = model.labels(raw)
        columns += model.task.prediction_arrays(raw, labels, model.classes, fields)
        n = batch.num_rows
        columns.append(pa.array([metadata["model_name"]] * n, type=pa.string()))
        columns.append(pa.array(np.full(n, metadata["version"], dtype=np.int32)))
        columns.append(pa.array([scored_at] * n, type=pa.timestamp("us")))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)
