"""The tables python models return about trained models: one row per version (the
trained-model table) and one row per version and trial (the leaderboard)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl.dbt._tasks import versions_of
from dbt_automl.registry import (
    METADATA_FILE,
    ModelVersion,
    Registry,
    locate_version,
    read_metadata,
)
from dbt_automl.tasks import task_named
from dbt_automl.tasks._curves import METADATA_ONLY

# Columns every trained-model table starts with, whatever the task.
VERSION_KEYS = [
    ("model_name", pa.string()),
    ("version", pa.int32()),
    ("is_current", pa.bool_()),  # the version scoring uses (champion, or pinned)
    ("status", pa.string()),  # champion | pinned | challenger | rejected | retired
    ("status_reason", pa.string()),  # why, from the lifecycle log's last entry for it
    ("status_at", pa.timestamp("us")),
    ("score", pa.float64()),  # the version's own metric as it recorded it (`metric`)
    ("task", pa.string()),
    ("target", pa.string()),
    ("metric", pa.string()),
]
# ...and where each version came from.
VERSION_PROVENANCE = [
    ("duration_s", pa.float64()),
    ("trained_at", pa.timestamp("us")),
    ("data_fingerprint", pa.string()),
    ("artifact_path", pa.string()),
    ("sha256", pa.string()),
]
# The trained-model table's columns, around the task's own `test_<metric>` columns.
_HEAD = [
    *VERSION_KEYS,
    ("family", pa.string()),
    ("params", pa.string()),
    ("cv_score", pa.float64()),
]
_TAIL = [
    ("threshold", pa.float64()),
    ("train_rows", pa.int64()),
    ("test_rows", pa.int64()),
    ("n_features", pa.int32()),
    ("n_trials", pa.int32()),
    # CPU cost of the chosen model measured after training, preprocessing included.
    ("expected_rows_per_s", pa.float64()),
    *VERSION_PROVENANCE,
    # Everything the engine decided, as JSON: dropped columns and why, encodings, sampling,
    # validation scheme, ensemble members, calibration and threshold with their reasons.
    ("decisions", pa.string()),
]


def versions_schema(tasks: list[str]) -> pa.Schema:
    """The trained-model table's schema: a ``test_<metric>`` column for every metric of the
    tasks its versions solved (a classifier's table has no ``test_rmse``)."""
    metrics: dict[str, None] = {}
    for name in tasks:
        metrics.update(dict.fromkeys(task_named(name).metrics))
    return pa.schema(_HEAD + [(f"test_{m}", pa.float64()) for m in metrics] + _TAIL)


def versions_table(registry: Registry, model_name: str) -> pa.Table:
    """Every registered version of a model as rows; the one serving is current."""
    versions = registry.versions(model_name)
    schema = versions_schema([v.metadata["task"] for v in versions])
    return versions_of(registry, model_name, schema, _version_row)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
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
        **{f"test_{m}": v for m, v in meta["metrics"]["test"].items()},
        "threshold": meta["threshold"],
        "train_rows": meta["data"]["train_rows"],
        "test_rows": meta["data"]["test_rows"],
        "n_features": len(meta["features"]["columns"]),
        "n_trials": len(meta["trials"]),
        "expected_rows_per_s": meta.get("decisions", {})
        .get("scoring", {})
        .get("expected_rows_per_s"),
        "duration_s": meta["duration_s"],
        "trained_at": datetime.fromisoformat(meta["created_at"]).replace(tzinfo=None),
        "data_fingerprint": meta["data"]["fingerprint"],
        "artifact_path": meta["artifact"]["path"],
        "sha256": meta["artifact"]["sha256"],
        "decisions": json.dumps(_decisions(meta), sort_keys=True, default=str),
    }


def _decisions(meta: dict[str, Any]) -> dict[str, Any]:
    # The curves are tables of their own (dbt_automl.evaluation): kept out of the JSON.
    decided = {k: v for k, v in meta.get("decisions", {}).items() if k not in METADATA_ONLY}
    return {
        **decided,
        "features": meta["features"],
        "data": meta["data"],
        "ensemble_members": meta.get("ensemble", []),
    }


LEADERBOARD_SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("version", pa.int32()),
        ("is_current", pa.bool_()),
        ("trial", pa.int32()),
        ("family", pa.string()),
        ("params", pa.string()),
        ("metric", pa.string()),
        ("score", pa.float64()),
        ("state", pa.string()),
        ("fit_s", pa.float64()),
        ("predict_s", pa.float64()),
        ("predict_us_per_row", pa.float64()),
        ("is_warm_start", pa.bool_()),
        ("ensemble_weight", pa.float64()),
    ]
)


def _trial_rows(metadata: dict[str, Any], is_current: bool) -> list[dict[str, Any]]:
    weights = {m["trial"]: m["weight"] for m in metadata.get("ensemble", [])}
    return [
        {
            "model_name": metadata["model_name"],
            "version": metadata["version"],
            "is_current": is_current,
            "trial": t["number"] + 1,
            "family": t["family"],
            "params": json.dumps(t["params"], sort_keys=True, default=str),
            "metric": metadata["metric"],
            "score": t["score"],
            "state": t["state"],
            "fit_s": t["fit_s"],
            "predict_s": t["predict_s"],
            "predict_us_per_row": t.get("predict_us_per_row"),
            "is_warm_start": t["warm_start"],
            "ensemble_weight": weights.get(t["number"], 0.0),
        }
        for t in metadata["trials"]
    ]


def leaderboard(model: duckdb.DuckDBPyRelation) -> pa.Table:
    """The trials of every version listed in a trained-model table (its ``artifact_path``)."""
    rows: list[dict[str, Any]] = []
    listed = model.project("artifact_path, model_name, version, is_current").fetchall()
    for artifact_path, model_name, version, is_current in listed:
        meta_path = locate_version(artifact_path, model_name, version) / METADATA_FILE
        rows += _trial_rows(read_metadata(meta_path), bool(is_current))
    return pa.Table.from_pylist(rows, schema=LEADERBOARD_SCHEMA)
