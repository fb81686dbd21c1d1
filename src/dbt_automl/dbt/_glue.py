"""What dbt python models call: ``train`` and ``score``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.config import AutomlConfig, parse_config
from dbt_automl.dbt._relations import (
    check_columns,
    column_types,
    fingerprint,
    load_training_table,
)
from dbt_automl.dbt._tables import versions_table
from dbt_automl.errors import RegistryError
from dbt_automl.registry import (
    FORMAT_VERSION,
    ModelVersion,
    Registry,
    build_metadata,
    config_hash,
    registry_root,
)
from dbt_automl.scoring import Scorer, check_rows, output_schema, score_batches

SCORE_BATCH_ROWS = 50_000


def model_name_of(dbt: Any) -> str:
    """The dbt model's table name, from ``dbt.this`` (``"db"."schema"."name"``)."""
    return str(dbt.this).split(".")[-1].strip('"')


def train(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any] | None
) -> pa.Table:
    """Train (or reuse) a model on ``rows`` and return one row per registered version.

    Called from a python model: ``dbt_automl.train(dbt, session, dbt.ref("features"),
    dbt.config.meta_get("automl"))``. When the data fingerprint and the settings equal those
    of the current version, no new version is trained: unchanged data, unchanged model.
    """
    log = get_logger()
    cfg = parse_config(config, model_name_of(dbt))
    registry = Registry(registry_root(cfg.registry_path))
    check_columns(rows, cfg)
    n_rows, data_fp = fingerprint(rows)
    current = registry.current(cfg.model_name)
    if current is not None and _unchanged(current, cfg, data_fp):
        log.info(
            f"{cfg.model_name}: data and settings unchanged since v{current.version}; "
            "reusing it (change the data or meta.automl to retrain)"
        )
        return versions_table(registry, cfg.model_name)
    from dbt_automl.engine import train as fit

    table, data_info = load_training_table(rows, cfg, n_rows, log)
    result = fit(table, cfg, log)
    target_type = str(table.schema.field(cfg.target).type)
    data = {**data_info, "fingerprint": data_fp}
    metadata = build_metadata(cfg, result, column_types(rows), target_type, data)
    version = registry.register(cfg.model_name, result.model, metadata)
    log.info(f"{cfg.model_name}: registered v{version.version} at {version.path}")
    return versions_table(registry, cfg.model_name)


def _unchanged(current: ModelVersion, cfg: AutomlConfig, data_fp: str) -> bool:
    """Same data, same settings, and a version this release can load."""
    meta = current.metadata
    return (
        meta["format_version"] == FORMAT_VERSION
        and meta["data"]["fingerprint"] == data_fp
        and meta["config_hash"] == config_hash(cfg)
    )


def score(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    batch_size: int = SCORE_BATCH_ROWS,
) -> pa.RecordBatchReader:
    """Score ``rows`` with the current version in ``model`` (a trained-model table).

    Returns a stream of record batches that dbt-duckdb writes as it reads, so memory does
    not grow with the table.
    """
    log = get_logger()
    scores_name = model_name_of(dbt)
    found = model.filter("is_current").project("model_name, version, artifact_path").fetchall()
    if not found:
        raise RegistryError(
            "the trained-model table has no current version",
            "build the model first (`dbt build --select <model>`)",
            model=scores_name,
        )
    name, version, artifact_path = found[0]
    scorer = Scorer.load(Path(artifact_path).parent)
    metadata = scorer.metadata
    schema_in = rows.limit(0).to_arrow_table().schema
    check_rows(metadata, schema_in, scores_name)
    columns = [c["name"] for c in metadata["id_columns"]]
    columns += [c["name"] for c in metadata["features"]["columns"]]
    reader = rows.select(*[duckdb.ColumnExpression(c) for c in columns]).to_arrow_reader(
        batch_size
    )
    schema_out = output_schema(metadata, schema_in)
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    log.info(f"{scores_name}: scoring with {name} v{version} in batches of {batch_size} rows")
    started = time.perf_counter()

    def batches() -> Iterator[pa.RecordBatch]:
        count = 0
        for out in score_batches(scorer, iter(reader), schema_out, scored_at):
            count += out.num_rows
            yield out
        log.info(f"{scores_name}: scored {count} rows in {time.perf_counter() - started:.1f}s")

    return pa.RecordBatchReader.from_batches(schema_out, batches())
