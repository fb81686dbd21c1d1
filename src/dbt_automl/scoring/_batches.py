"""Streaming batch scoring: Arrow record batches in, prediction batches out.

Memory stays bounded by the batch size: rows are never gathered into one frame. The task
decides the prediction columns (``prediction``, then e.g. ``probability``,
``probabilities``); provenance columns close every row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pyarrow as pa

from dbt_automl.scoring._explain import Explainer, explanation_fields
from dbt_automl.scoring._scorer import CORE_SLOTS, ONE_THREAD_PER_CALL, Scorer, usable_cores
from dbt_automl.tasks import task_named

PROVENANCE = [
    pa.field("model_name", pa.string()),
    pa.field("model_version", pa.int32()),
    pa.field("scored_at", pa.timestamp("us")),
]


def output_schema(metadata: dict[str, Any], rows_schema: pa.Schema, explain: int = 0) -> pa.Schema:
    """The prediction table's columns: ids, the task's prediction columns, the top
    ``explain`` contributions (none by default), provenance."""
    ids = [rows_schema.field(c["name"]) for c in metadata["id_columns"]]
    task = task_named(metadata["task"])
    explained = explanation_fields(explain) if explain else []
    return pa.schema(ids + task.prediction_fields(_label_type(metadata)) + explained + PROVENANCE)


def _label_type(metadata: dict[str, Any]) -> pa.DataType:
    try:
        return pa.type_for_alias(metadata["target_arrow_type"])
    except ValueError:
        return pa.string()


def score_batches(
    scorer: Scorer,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    scored_at: datetime,
    explainer: Explainer | None = None,
) -> Iterator[pa.RecordBatch]:
    """Predict each input batch and yield the matching output batch, in input order.

    Batches are scored in parallel, one per usable core, at most that many in flight (so
    memory stays a few batches whatever the table); the reader keeps pulling rows from
    DuckDB meanwhile. With ``explainer``, ``schema`` holds the explanation columns
    (:func:`output_schema` with ``explain``) and they are filled in.
    """
    workers = usable_cores()
    with ThreadPoolExecutor(workers, thread_name_prefix="dbt-automl-score") as pool:
        pending: deque[Future[pa.RecordBatch]] = deque()
        for batch in batches:
            if batch.num_rows:
                pending.append(pool.submit(_score, scorer, batch, schema, scored_at, explainer))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _score(
    scorer: Scorer,
    batch: pa.RecordBatch,
    schema: pa.Schema,
    scored_at: datetime,
    explainer: Explainer | None = None,
) -> pa.RecordBatch:
    ids = [c["name"] for c in scorer.metadata["id_columns"]]
    width = len(explanation_fields(explainer.top)) if explainer is not None else 0
    end = len(schema) - len(PROVENANCE) - width
    fields = [schema.field(i) for i in range(len(ids), end)]
    raw = scorer.raw(batch)
    columns: list[pa.Array] = [batch.column(name) for name in ids]
    columns += scorer.prediction_arrays(raw, fields)
    if explainer is not None:
        with ONE_THREAD_PER_CALL, CORE_SLOTS:
            columns += explainer.arrays(batch, raw)
    n = batch.num_rows
    columns.append(pa.repeat(pa.scalar(scorer.name, pa.string()), n))
    columns.append(pa.repeat(pa.scalar(scorer.version, pa.int32()), n))
    columns.append(pa.repeat(pa.scalar(scored_at, pa.timestamp("us")), n))
    return pa.RecordBatch.from_arrays(columns, schema=schema)
