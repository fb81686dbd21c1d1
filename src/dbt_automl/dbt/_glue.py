"""What dbt python models call: ``train`` and ``score``."""

from __future__ import annotations

import importlib
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from dbt_automl._log import Logger, get_logger
from dbt_automl.config import parse_config
from dbt_automl.dbt._drift import profile_of
from dbt_automl.dbt._incremental import FEATURE_HASH, HASH_INPUT, ScoringPlan, plan_scoring
from dbt_automl.dbt._judge import ROWS_FILE, same_rows_scores, split_of, trained_rows_file
from dbt_automl.dbt._lake import ScoresLake
from dbt_automl.dbt._relations import (
    check_columns,
    column_types,
    load_training_table,
)
from dbt_automl.dbt._tables import versions_table
from dbt_automl.dbt._tasks import Fitted, current_version_dir, train_or_reuse
from dbt_automl.errors import RegistryError
from dbt_automl.registry import (
    METADATA_FILE,
    ModelVersion,
    build_metadata,
    read_metadata,
)
from dbt_automl.scoring import (
    Explainer,
    Scorer,
    check_rows,
    explain_count,
    explanation_fields,
    output_schema,
    score_batches,
)

if TYPE_CHECKING:
    pass

SCORE_BATCH_ROWS = 50_000
# Tasks with their own glue module: `task:` value -> (module, train function).
TASK_TRAINERS = {
    "forecasting": ("dbt_automl.dbt._forecast", "train_forecast"),
    "clustering": ("dbt_automl.dbt._segments", "train_segments"),
    "anomaly": ("dbt_automl.dbt._anomaly", "train_detector"),
    "recommendation": ("dbt_automl.dbt._recommend", "train_recommender"),
}


def model_name_of(dbt: Any) -> str:
    """The dbt model's table name, from ``dbt.this`` (``"db"."schema"."name"``)."""
    return str(dbt.this).split(".")[-1].strip('"')


def train(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any] | None
) -> pa.Table:
    """Train (or reuse) a model on ``rows`` and return one row per registered version.

    Called from a python model: ``dbt_automl.train(dbt, session, dbt.ref("features"),
    dbt.config.meta_get("automl"))``. The model's ``retrain`` rule decides whether a new
    version is trained (default: when the data, the settings or dbt-automl changed), and
    its ``promotion`` rule whether the new version replaces the champion.
    """
    task = (config or {}).get("task")
    if task in TASK_TRAINERS:
        module, function = TASK_TRAINERS[task]
        trainer = getattr(importlib.import_module(module), function)
        return trainer(dbt, session, rows, dict(config or {}))
    log = get_logger()
    cfg = parse_config(config, model_name_of(dbt))
    check_columns(rows, cfg)

    def fit(newest: ModelVersion | None, n_rows: int, data_fp: str) -> Fitted:
        from dbt_automl.engine import train as run_engine

        table, data_info = load_training_table(rows, cfg, n_rows, log)
        result = run_engine(table, cfg, log)
        target_type = str(table.schema.field(cfg.target).type)
        data = {**data_info, "fingerprint": data_fp}
        metadata = build_metadata(cfg, result, column_types(rows), target_type, data)
        ids = list(cfg.id_columns)
        judge = partial(same_rows_scores, result, ids, split_of(data_fp, dict(cfg.raw)))
        extras = {ROWS_FILE: trained_rows_file(table, result, ids)}
        metadata["profile"] = profile_of(rows, cfg, cfg.target)  # drift: the target is not scored
        return Fitted(result.model, metadata, judge, extras)

    return train_or_reuse(
        rows, cfg, fit, lambda registry: versions_table(registry, cfg.model_name)
    )


def score(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    batch_size: int = SCORE_BATCH_ROWS,
    lake_path: str | Path | None = None,
    explain: int | None = None,
) -> pa.RecordBatchReader | pa.Table | duckdb.DuckDBPyRelation:
    """Score ``rows`` with the current version in ``model`` (a trained-model table).

    On an incremental run (``materialized='incremental'``, ``unique_key`` = the model's id
    columns) only rows that are new, changed since they were scored (``feature_hash``) or
    scored by another version are scored; keys gone from ``rows`` are deleted. Otherwise
    every row is scored.

    Without ``lake_path`` it returns a stream of record batches that dbt-duckdb writes as it
    reads, so memory does not grow with the table. With it, the scores also land in the lake
    as hive-partitioned Parquet (``<lake_path>/scored_date=YYYY-MM-DD/``), crash-safe, and
    the table is filled from the files written (see :mod:`dbt_automl.dbt._lake`).

    ``explain=N`` (off by default; the demo reads it from the scores model's
    ``meta.explain``) adds each row's N largest input-column contributions to the raw
    prediction and their baseline (see :mod:`dbt_automl.scoring._explain`).
    """
    log = get_logger()
    scores_name = model_name_of(dbt)
    version_dir = current_version_dir(model, scores_name)
    metadata = _metadata_of(version_dir)
    _check_supervised(metadata, scores_name)
    schema_in = rows.limit(0).to_arrow_table().schema
    check_rows(metadata, schema_in, scores_name)
    top = explain_count(explain, scores_name)
    # Rows scored before explanations were asked for (or fewer of them) are rescored.
    wanted = [f.name for f in explanation_fields(top)] if top else []
    plan = plan_scoring(dbt, session, rows, metadata, log, required=wanted)
    schema_out = output_schema(metadata, schema_in, top)
    schema_out = schema_out.append(pa.field(FEATURE_HASH, pa.uint64()))
    scored_at = _now()
    log.info(
        f"{scores_name}: scoring with {metadata['model_name']} v{metadata['version']} in "
        f"batches of {batch_size} rows"
        + (" (incremental: new, changed and other-version rows only)" if plan.incremental else "")
        + (f", with each row's top {top} contributions" if top else "")
    )
    started = time.perf_counter()
    reader = plan.rows.to_arrow_reader(batch_size)
    batches = _scored(version_dir, reader, schema_out, scored_at, top)
    if lake_path is not None:
        ids = [c["name"] for c in metadata["id_columns"]]
        lake = ScoresLake(lake_path, ids, scores_name)
        return _score_into_lake(lake, session, plan, batches, schema_out, scored_at, dbt, log)

    def logged() -> Iterator[pa.RecordBatch]:
        count = 0
        for out in batches:
            count += out.num_rows
            yield out
        elapsed = time.perf_counter() - started
        log.info(f"{scores_name}: {plan.summary(count)} in {elapsed:.1f}s")

    return pa.RecordBatchReader.from_batches(schema_out, logged())


# What to call instead of score() for a model of each task with its own output.
OUTPUT_FUNCTIONS = {
    "forecasting": "dbt_automl.forecast(dbt, session, model=..., future=...)",
    "clustering": "dbt_automl.segment(dbt, session, model=..., rows=...)",
    "anomaly": "dbt_automl.detect_anomalies(dbt, session, model=..., rows=...)",
    "recommendation": "dbt_automl.recommend(dbt, session, model=...)",
}


def _check_supervised(metadata: dict[str, Any], scores_name: str) -> None:
    call = OUTPUT_FUNCTIONS.get(metadata["task"])
    if call is not None:
        raise RegistryError(
            f"{metadata['model_name']} is a {metadata['task']} model; score() serves "
            "classification and regression models",
            f"call {call}",
            model=scores_name,
        )


def _now() -> datetime:
    """When this run scores, in UTC without a zone (``scored_at``; tests move it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _metadata_of(version_dir: Path) -> dict[str, Any]:
    """The version's metadata, without loading its model (nothing to score: no load)."""
    try:
        return read_metadata(version_dir / METADATA_FILE)
    except FileNotFoundError:
        Scorer.load(version_dir)  # raises the registry's own error for an incomplete version
        raise


def _scored(
    version_dir: Path,
    reader: pa.RecordBatchReader,
    schema: pa.Schema,
    scored_at: datetime,
    top: int = 0,
) -> Iterator[pa.RecordBatch]:
    """Score the batches and close each with the ``feature_hash`` its rows were read with;
    with ``top``, explain them too (the model file is then loaded as trained).

    The model is loaded (checksum verified) only when there is a row to score, and then
    before the first batch is returned. ``score_batches`` yields one output per non-empty
    input, in input order, however many it scores at once; the hashes wait in a queue.
    """
    inputs = (batch for batch in reader if batch.num_rows)
    first = next(inputs, None)
    if first is None:
        return iter(())
    scorer = Scorer.load(version_dir)
    explainer = (
        Explainer.load(version_dir, top, get_logger(), scorer.model.estimator) if top else None
    )
    predictions = pa.schema(list(schema)[:-1])
    hashes: deque[pa.Array] = deque()

    def hashed() -> Iterator[pa.RecordBatch]:
        for batch in chain([first], inputs):
            hashes.append(batch.column(HASH_INPUT))
            yield batch

    return (
        pa.RecordBatch.from_arrays([*out.columns, hashes.popleft()], schema=schema)
        for out in score_batches(scorer, hashed(), predictions, scored_at, explainer)
    )


def _score_into_lake(
    lake: ScoresLake,
    session: Any,
    plan: ScoringPlan,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    scored_at: datetime,
    dbt: Any,
    log: Logger,
) -> pa.Table | duckdb.DuckDBPyRelation:
    """Score into a staging file, publish the changed partitions, return the new rows."""
    started = time.perf_counter()
    with lake.staging() as staging:
        new, count = lake.write_new(staging, batches, schema)
        this = str(dbt.this) if plan.incremental else None
        changed = lake.publish(session, staging, new, this, scored_at.date(), plan.deleted)
    log.info(
        f"{lake.model}: {plan.summary(count)} in {time.perf_counter() - started:.1f}s; "
        f"{changed} partition(s) of {lake.root} rewritten"
    )
    if count == 0:
        return schema.empty_table()
    return lake.published(session, schema, scored_at)
