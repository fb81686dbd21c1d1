"""What anomaly-detection python models call: train a detector (``task: anomaly``) and
write the anomaly table.

The same shape as the other tasks' glue: settings in ``meta.automl``, a registry version
per change of data or settings (the same fingerprint rule), one row per version in the
trained-model table, and an anomaly table (one row per scored row: its ids, score and
flag) that downstream SQL ``ref()``s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._log import Logger, get_logger
from dbt_automl.anomaly import (
    FLAG,
    RAW,
    SCORE,
    AnomalyConfig,
    AnomalyModel,
    AnomalyResult,
    parse_anomaly_config,
)
from dbt_automl.dbt._judge_unsupervised import anomaly_scores
from dbt_automl.dbt._relations import column_types, quote
from dbt_automl.dbt._reuse import reuse_or_build
from dbt_automl.dbt._tables import VERSION_KEYS, VERSION_PROVENANCE
from dbt_automl.dbt._tasks import (
    Fitted,
    common_row,
    load_current,
    require_columns,
    train_or_reuse,
    version_metadata,
    versions_of,
)
from dbt_automl.registry import ModelVersion, Registry

# Read off the training rows (the flag) and the labelled rows (the rest; null without
# labels): the test_ prefix the generic metric tests read. The iforest_ pair is isolation
# forest with defaults on the same rows, the baseline to beat.
METRICS = (
    "flag_rate",
    "precision_at_flagged",
    "recall_at_flagged",
    "roc_auc",
    "iforest_precision_at_flagged",
    "iforest_roc_auc",
)
SCORE_BATCH_ROWS = 50_000


def train_detector(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any]
) -> pa.Table:
    """Train (or reuse) an anomaly detector on ``rows``; one row per registered version.

    Unchanged data (fingerprint) and settings reuse the current version.
    """
    from dbt_automl.dbt._glue import model_name_of

    cfg = parse_anomaly_config(config, model_name_of(dbt))

    def fit(_current: ModelVersion | None, n_rows: int, data_fp: str) -> Fitted:
        from dbt_automl.anomaly import train_detector as fit_detector

        log = get_logger()
        table, info = _training_rows(rows, cfg, n_rows, log)
        result = fit_detector(table, cfg, log)
        data = {**info, "fingerprint": data_fp, "train_rows": result.n_rows}
        metadata = _metadata(cfg, result, column_types(rows), data)
        judge = partial(anomaly_scores, table, result.model, cfg.label_column)
        return Fitted(result.model, metadata, judge)

    return train_or_reuse(rows, cfg, fit, lambda registry: detector_versions_table(registry, cfg))


def _training_rows(
    rows: duckdb.DuckDBPyRelation, cfg: AnomalyConfig, n_rows: int, log: Logger
) -> tuple[pa.Table, dict[str, Any]]:
    """The rows as Arrow, sampled inside DuckDB when over ``max_train_rows`` (seeded, so
    it repeats; every labelled row kept, labels are scarce)."""
    info: dict[str, Any] = {"rows": n_rows, "sampled": False}
    if n_rows <= cfg.max_train_rows or (cfg.label_column and cfg.label_column not in rows.columns):
        return rows.to_arrow_table(), info
    labelled = f" or {quote(cfg.label_column)} is not null" if cfg.label_column else ""
    sampled = rows.query(
        "__automl_rows",
        f"""select * exclude (__rn) from (
                select *, row_number() over (order by hash(__automl_rows, {cfg.seed})) as __rn
                from __automl_rows
            ) where __rn <= {cfg.max_train_rows}{labelled}""",
    )
    assert sampled is not None  # a select always returns a relation
    log.info(
        f"{cfg.model_name}: {n_rows} rows exceed max_train_rows={cfg.max_train_rows}; "
        "fitting on a seeded sample drawn in DuckDB (every labelled row kept)"
    )
    return sampled.to_arrow_table(), {**info, "sampled": True}


def _metadata(
    cfg: AnomalyConfig, result: AnomalyResult, types: dict[str, str], data: dict[str, Any]
) -> dict[str, Any]:
    model = result.model
    return version_metadata(
        cfg,
        data,
        result.duration_s,
        target=cfg.label_column,
        metric="precision_at_flagged" if result.metrics["n_labelled"] else "flag_rate",
        id_columns=[{"name": c, "duckdb_type": types[c]} for c in cfg.id_columns],
        label_column=cfg.label_column,
        detector=model.detector,
        families=list(model.families),
        threshold=model.threshold,
        contamination=result.metrics["contamination"],
        n_features=len(model.featurizer.names),
        features=model.featurizer.readable_names(),
        leaderboard=result.leaderboard,
        decisions=result.decisions,
        metrics={"train": result.metrics},
    )


def _versions_schema() -> pa.Schema:
    head = [
        *VERSION_KEYS,
        ("family", pa.string()),
        ("members", pa.string()),
        ("threshold", pa.float64()),
        ("contamination", pa.float64()),
    ]
    metrics = [(f"test_{m}", pa.float64()) for m in METRICS]
    tail = [
        ("n_labelled", pa.int64()),
        ("n_labelled_anomalies", pa.int64()),
        ("train_rows", pa.int64()),
        ("n_features", pa.int32()),
        *VERSION_PROVENANCE,
        ("leaderboard", pa.string()),
        ("decisions", pa.string()),
    ]
    return pa.schema(head + metrics + tail)


def detector_versions_table(registry: Registry, cfg: AnomalyConfig) -> pa.Table:
    """Every registered version of an anomaly detector, the newest current."""
    return versions_of(registry, cfg.model_name, _versions_schema(), _version_row)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
    measured = meta["metrics"]["train"]
    return {
        **common_row(version, is_current),
        "family": meta["detector"],
        "members": "+".join(meta["families"]),
        "threshold": meta["threshold"],
        "contamination": meta["contamination"],
        **{f"test_{m}": measured.get(m) for m in METRICS},
        "n_labelled": measured["n_labelled"],
        "n_labelled_anomalies": measured["n_labelled_anomalies"],
        "train_rows": meta["data"]["train_rows"],
        "n_features": meta["n_features"],
        "leaderboard": json.dumps(meta["leaderboard"], default=str),
        "decisions": json.dumps(meta["decisions"], sort_keys=True, default=str),
    }


def detect_anomalies(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    batch_size: int = SCORE_BATCH_ROWS,
) -> pa.Table | duckdb.DuckDBPyRelation:
    """Score ``rows`` with the current version in ``model`` (an anomaly detector's
    trained-model table): one row per input row with its id columns, ``anomaly_score``
    (share of training rows less unusual), ``is_anomaly``, ``raw_score``, the model name
    and version and ``scored_at``. A label column in ``rows`` is not needed nor read.

    Raises:
        RegistryError: no current version, or the table is not an anomaly detector's.
        SchemaMismatchError: an id or feature column is missing from ``rows``.
    """
    return reuse_or_build(
        dbt, session, model, [rows], {}, lambda: _detect(dbt, model, rows, batch_size)
    )


def _detect(
    dbt: Any, model: duckdb.DuckDBPyRelation, rows: duckdb.DuckDBPyRelation, batch_size: int
) -> pa.Table:
    from threadpoolctl import threadpool_limits

    from dbt_automl.dbt._glue import model_name_of

    name = model_name_of(dbt)
    detector, meta = _current_detector(model, name)
    ids = [c["name"] for c in meta["id_columns"]]
    fix = "select the model's id_columns in the rows passed to detect_anomalies"
    require_columns(rows, ids, name, fix)
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    # Batches keep memory flat on a large table; a row's score depends on that row alone.
    # One core per model, as in training (decision 0002): dbt scores models side by side.
    with threadpool_limits(limits=1):
        reader = rows.to_arrow_reader(batch_size)
        parts = [_scored(batch, ids, detector, meta, scored_at) for batch in reader]
        table = pa.concat_tables(parts or [_scored(_empty(rows), ids, detector, meta, scored_at)])
    flagged = pc.sum(table.column(FLAG)).as_py() or 0
    get_logger().info(
        f"{name}: scored {table.num_rows} rows with {meta['model_name']} v{meta['version']}; "
        f"{flagged} flagged (threshold {detector.threshold:.4f})"
    )
    return table


def _current_detector(
    model: duckdb.DuckDBPyRelation, name: str
) -> tuple[AnomalyModel, dict[str, Any]]:
    """The current version in a trained-model table, loaded (checksum verified)."""
    fitted, meta = load_current(model, AnomalyModel, "an anomaly detector", name)
    return fitted, meta


def _empty(rows: duckdb.DuckDBPyRelation) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=rows.limit(0).to_arrow_table().schema)


def _scored(
    batch: pa.RecordBatch,
    ids: list[str],
    detector: AnomalyModel,
    meta: dict[str, Any],
    scored_at: datetime,
) -> pa.Table:
    found = detector.detect(batch)
    n = batch.num_rows
    columns = {c: batch.column(c) for c in ids}
    columns[SCORE] = pa.array(found[SCORE].to_numpy(dtype="float64"), pa.float64())
    columns[FLAG] = pa.array(found[FLAG].to_numpy(dtype=bool), pa.bool_())
    columns[RAW] = pa.array(found[RAW].to_numpy(dtype="float64"), pa.float64())
    columns["model_name"] = pa.array([meta["model_name"]] * n, pa.string())
    columns["model_version"] = pa.array([int(meta["version"])] * n, pa.int32())
    columns["scored_at"] = pa.array([scored_at] * n, pa.timestamp("us"))
    return pa.table(columns)
