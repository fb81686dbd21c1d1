"""Every trial of every version as rows: ``select * from <model>_leaderboard order by score``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._registry import METADATA_FILE

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
        ("is_warm_start", pa.bool_()),
        ("ensemble_weight", pa.float64()),
    ]
)


def _rows(metadata: dict[str, Any], is_current: bool) -> list[dict[str, Any]]:
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
            "is_warm_start": t["warm_start"],
            "ensemble_weight": weights.get(t["number"], 0.0),
        }
        for t in metadata["trials"]
    ]


def leaderboard(model: duckdb.DuckDBPyRelation) -> pa.Table:
    """The trials of every version listed in a trained-model table (its ``artifact_path``)."""
    rows: list[dict[str, Any]] = []
    for artifact_path, is_current in model.project("artifact_path, is_current").fetchall():
        meta_path = Path(artifact_path).parent / METADATA_FILE
        rows += _rows(json.loads(meta_path.read_text()), bool(is_current))
    return pa.Table.from_pylist(rows, schema=LEADERBOARD_SCHEMA)
