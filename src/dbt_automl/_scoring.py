"""Streaming batch scoring: Arrow record batches in, prediction batches out.

Memory stays bounded by the batch size: rows are never gathered into one frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl._errors import SchemaMismatchError
from dbt_automl._model import AutoMLModel
from dbt_automl._preprocess import FeatureSchema, kind_of, to_frame

# Booleans and numbers both become floats in the pipeline, so either may replace the other.
_COMPATIBLE = {"boolean": "number", "numeric": "number"}


def class_key(value: Any) -> str:
    """The text of a class label as used in the ``probabilities`` map ('true', 'gold', '3')."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def check_rows(metadata: dict, schema: pa.Schema, scores_name: str) -> None:
    """Refuse rows that lack a feature or id column, or whose column changed kind."""
    model = f"{metadata['model_name']} v{metadata['version']}"
    features = FeatureSchema.from_dict(metadata["features"])
    present = {f.name: f.type for f in schema}
    for name in [c["name"] for c in metadata["id_columns"]] + features.names():
        if name not in present:
            raise SchemaMismatchError(
                f"dbt-automl: {scores_name}: column {name!r} was used to train model {model} "
                f"but is missing from the rows to score (they have {sorted(present)}). Fix: "
                f"add {name!r} back to the scored model, or retrain {metadata['model_name']} "
                "on the new columns (`dbt build --select <model>+`)"
            )
    for col in features.columns:
        seen = kind_of(present[col.name])
        if _COMPATIBLE.get(seen or "", seen) != _COMPATIBLE.get(col.kind, col.kind):
            raise SchemaMismatchError(
                f"dbt-automl: {scores_name}: column {col.name!r} was {col.arrow_type} "
                f"({col.kind}) when model {model} was trained but is now {present[col.name]}. "
                f"Fix: cast {col.name!r} back to its training type in the scored model, or "
                f"retrain {metadata['model_name']} (`dbt build --select <model>+`)"
            )


def output_schema(metadata: dict, rows_schema: pa.Schema) -> pa.Schema:
    """The prediction table's columns: ids, prediction, probabilities, provenance."""
    fields = [rows_schema.field(c["name"]) for c in metadata["id_columns"]]
    kind = metadata["kind"]
    if kind == "regression":
        fields.append(pa.field("prediction", pa.float64()))
    else:
        fields.append(pa.field("prediction", _label_type(metadata["target_arrow_type"])))
    if kind == "binary":
        fields.append(pa.field("probability", pa.float64()))
    if kind != "regression":
        fields.append(pa.field("probabilities", pa.map_(pa.string(), pa.float64())))
    fields += [
        pa.field("model_name", pa.string()),
        pa.field("model_version", pa.int32()),
        pa.field("scored_at", pa.timestamp("us")),
    ]
    return pa.schema(fields)


def _label_type(name: str) -> pa.DataType:
    try:
        return pa.type_for_alias(name)
    except ValueError:
        return pa.string()


def score_batches(
    model: AutoMLModel,
    metadata: dict,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    scored_at: datetime,
) -> Iterator[pa.RecordBatch]:
    """Predict each input batch and yield the matching output batch."""
    from threadpoolctl import threadpool_limits

    features = FeatureSchema.from_dict(metadata["features"])
    ids = [c["name"] for c in metadata["id_columns"]]
    keys = [class_key(c) for c in (model.classes or [])]
    for batch in batches:
        if batch.num_rows == 0:
            continue
        with threadpool_limits(limits=1):  # one core per model, as in _train.fit_automl
            raw = model.predict_raw(to_frame(batch, features))
        columns: list[pa.Array] = [batch.column(name) for name in ids]
        columns.append(pa.array(model.labels(raw).tolist(), type=schema.field("prediction").type))
        if model.kind == "binary":
            columns.append(pa.array(raw[:, 1], type=pa.float64()))
        if model.kind != "regression":
            columns.append(_probability_map(raw, keys))
        n = batch.num_rows
        columns.append(pa.array([metadata["model_name"]] * n, type=pa.string()))
        columns.append(pa.array(np.full(n, metadata["version"], dtype=np.int32)))
        columns.append(pa.array([scored_at] * n, type=pa.timestamp("us")))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def _probability_map(raw: np.ndarray, keys: list[str]) -> pa.MapArray:
    n, k = raw.shape
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    names = pa.array(np.tile(np.asarray(keys, dtype=object), n), type=pa.string())
    return pa.MapArray.from_arrays(offsets, names, pa.array(raw.ravel(), type=pa.float64()))
