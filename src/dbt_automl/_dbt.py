"""The glue called from dbt python models: ``train`` and ``score``."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._config import AutomlConfig, parse_config
from dbt_automl._data import check_columns, column_types, fingerprint, load_training_table
from dbt_automl._errors import RegistryError
from dbt_automl._log import get_logger
from dbt_automl._registry import ModelVersion, Registry, load_version, registry_root
from dbt_automl._scoring import check_rows, output_schema, score_batches
from dbt_automl._tasks import ALL_METRICS

SCORE_BATCH_ROWS = 50_000

VERSIONS_SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("version", pa.int32()),
        ("is_current", pa.bool_()),
        ("task", pa.string()),
        ("target", pa.string()),
        ("metric", pa.string()),
        ("family", pa.string()),
        ("params", pa.string()),
        ("cv_score", pa.float64()),
        *[(f"test_{m}", pa.float64()) for m in ALL_METRICS],
        ("threshold", pa.float64()),
        ("train_rows", pa.int64()),
        ("test_rows", pa.int64()),
        ("n_features", pa.int32()),
        ("n_trials", pa.int32()),
        ("duration_s", pa.float64()),
        ("trained_at", pa.timestamp("us")),
        ("data_fingerprint", pa.string()),
        ("artifact_path", pa.string()),
        ("sha256", pa.string()),
        # Everything the engine decided, as JSON: dropped columns and why, encodings, sampling,
        # validation scheme, ensemble members, calibration and threshold with their reasons.
        ("decisions", pa.string()),
    ]
)


def model_name_of(dbt: Any) -> str:
    """The dbt model's table name, from ``dbt.this`` (``"db"."schema"."name"``)."""
    return str(dbt.this).split(".")[-1].strip('"')


def _config_hash(cfg: AutomlConfig) -> str:
    return hashlib.sha256(json.dumps(cfg.raw, sort_keys=True, default=str).encode()).hexdigest()


def train(dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict | None) -> pa.Table:
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
    if current and current.metadata["data"]["fingerprint"] == data_fp:
        if current.metadata["config_hash"] == _config_hash(cfg):
            log.info(
                f"{cfg.model_name}: data and settings unchanged since v{current.version}; "
                "reusing it (change the data or meta.automl to retrain)"
            )
            return versions_table(registry, cfg.model_name)
    from dbt_automl._train import fit_automl

    table, data_info = load_training_table(rows, cfg, n_rows, log)
    result = fit_automl(table, cfg, log)
    metadata = _metadata(cfg, result, rows, table, {**data_info, "fingerprint": data_fp})
    version = registry.register(cfg.model_name, result.model, metadata)
    log.info(f"{cfg.model_name}: registered v{version.version} at {version.path}")
    return versions_table(registry, cfg.model_name)


def _metadata(cfg: AutomlConfig, result: Any, rows: Any, table: pa.Table, data: dict) -> dict:
    types = column_types(rows)
    return {
        "format_version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "task": "regression" if result.target.kind == "regression" else "classification",
        "kind": result.target.kind,
        "target": cfg.target,
        "target_type": types[cfg.target],
        "target_arrow_type": str(table.schema.field(cfg.target).type),
        "metric": result.metric.name,
        "classes": result.target.classes,
        "threshold": result.threshold,
        "id_columns": [{"name": c, "duckdb_type": types[c]} for c in cfg.id_columns],
        "features": result.schema.to_dict(),
        "input_types": {c: types[c] for c in result.schema.names()},
        "data": {**data, "train_rows": result.train_rows, "test_rows": result.test_rows},
        "config": dict(cfg.raw),
        "config_hash": _config_hash(cfg),
        "time_budget_s": cfg.time_budget_s,
        "best": {
            "family": "ensemble" if len(result.ensemble) > 1 else result.search.family,
            "params": result.search.params,
            "cv_score": result.decisions["ensemble"]["score"],
        },
        "ensemble": result.ensemble,
        "decisions": result.decisions,
        "metrics": {"test": result.test_metrics},
        "trials": [vars(t) for t in result.search.trials],
        "duration_s": result.duration_s,
        "versions": _library_versions(),
    }


def _library_versions() -> dict[str, str]:
    import importlib.metadata as md

    names = ["dbt-automl", "scikit-learn", "lightgbm", "optuna", "duckdb", "pyarrow", "pandas"]
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def versions_table(registry: Registry, model_name: str) -> pa.Table:
    """Every registered version of a model as rows of VERSIONS_SCHEMA, newest current."""
    versions = registry.versions(model_name)
    rows = [_version_row(v, v is versions[-1]) for v in versions]
    return pa.Table.from_pylist(rows, schema=VERSIONS_SCHEMA)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
    test = meta["metrics"]["test"]
    return {
        "model_name": version.model_name,
        "version": version.version,
        "is_current": is_current,
        "task": meta["task"],
        "target": meta["target"],
        "metric": meta["metric"],
        "family": meta["best"]["family"],
        "params": json.dumps(meta["best"]["params"], sort_keys=True, default=str),
        "cv_score": meta["best"]["cv_score"],
        **{f"test_{m}": test.get(m) for m in ALL_METRICS},
        "threshold": meta["threshold"],
        "train_rows": meta["data"]["train_rows"],
        "test_rows": meta["data"]["test_rows"],
        "n_features": len(meta["features"]["columns"]),
        "n_trials": len(meta["trials"]),
        "duration_s": meta["duration_s"],
        "trained_at": datetime.fromisoformat(meta["created_at"]).replace(tzinfo=None),
        "data_fingerprint": meta["data"]["fingerprint"],
        "artifact_path": meta["artifact"]["path"],
        "sha256": meta["artifact"]["sha256"],
        "decisions": json.dumps(_decisions(meta), sort_keys=True, default=str),
    }


def _decisions(meta: dict[str, Any]) -> dict[str, Any]:
    decided = {k: v for k, v in meta.get("decisions", {}).items() if k != "calibration_curve"}
    return {
        **decided,
        "features": meta["features"],
        "data": meta["data"],
        "ensemble_members": meta.get("ensemble", []),
    }


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
    current = model.filter("is_current").project("model_name, version, artifact_path")
    found = current.fetchall()
    if not found:
        raise RegistryError(
            f"dbt-automl: {scores_name}: the trained-model table has no current version. "
            "Fix: build the model first (`dbt build --select <model>`)"
        )
    name, version, artifact_path = found[0]
    fitted, metadata = load_version(Path(artifact_path).parent)
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
        for out in score_batches(fitted, metadata, iter(reader), schema_out, scored_at):
            count += out.num_rows
            yield out
        log.info(f"{scores_name}: scored {count} rows in {time.perf_counter() - started:.1f}s")

    return pa.RecordBatchReader.from_batches(schema_out, batches())
