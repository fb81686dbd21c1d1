"""The drift table python models return, and the training profile every version records.

``dbt_automl.drift(dbt, session, model=dbt.ref("churn_model"), rows=dbt.ref(...))`` reads
the current version's ``metadata["profile"]`` (no model file is loaded) and compares the
rows with it: one row per feature, plus one ``__prediction__`` row when ``scores`` are
given and the version recorded its test split's prediction distribution.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.dbt._judge import row_keys, trained_keys
from dbt_automl.dbt._reuse import reuse_or_build
from dbt_automl.drift import FeatureDrift, compare, compare_predictions, training_profile
from dbt_automl.errors import RegistryError
from dbt_automl.registry import ModelVersion

DRIFT_SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("model_version", pa.int32()),
        ("feature", pa.string()),
        ("kind", pa.string()),
        ("psi", pa.float64()),
        ("unseen_share", pa.float64()),
        ("null_rate_train", pa.float64()),
        ("null_rate_now", pa.float64()),
        ("null_rate_change", pa.float64()),
        ("rows_train", pa.int64()),
        ("rows_now", pa.int64()),
        ("level", pa.string()),
        ("bins", pa.string()),
        ("computed_at", pa.timestamp("us")),
    ]
)
# Settings naming columns that are not features: ids, the anomaly label, the user.
_NOT_FEATURES = ("id_columns", "exclude")
_NOT_FEATURE = ("label_column", "user_column")


def profile_of(rows: duckdb.DuckDBPyRelation, cfg: Any, *also: str) -> dict[str, Any]:
    """The training profile of ``rows`` for any task's settings ``cfg``: every column but
    the ids, the excluded columns, a label or user column, and ``also`` (the target of a
    supervised model, absent from the rows it scores)."""
    names = [name for key in _NOT_FEATURES for name in getattr(cfg, key, ())]
    names += [getattr(cfg, key, None) for key in _NOT_FEATURE]
    return training_profile(rows, exclude=[n for n in (*names, *also) if n])


def drift(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    scores: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table | duckdb.DuckDBPyRelation:
    """The drift table of the version ``model`` (a trained-model table) marks current,
    for any task: one row per profiled feature of ``rows`` (see ``DRIFT_SCHEMA`` and
    :func:`dbt_automl.drift.compare`), and a ``__prediction__`` row comparing ``scores``
    (the rows that version scored) with its test split when it recorded that.

    The table of the last build is kept when the serving version, ``rows`` and ``scores``
    are unchanged (``source_fingerprint``, as for forecasts and segments).

    Raises:
        RegistryError: no current version, or one trained before profiles were recorded.
    """
    return reuse_or_build(
        dbt, session, model, [rows, scores], {}, lambda: _drift_table(dbt, model, rows, scores)
    )


def _drift_table(
    dbt: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    scores: duckdb.DuckDBPyRelation | None,
) -> pa.Table:
    # Imported here: _glue's train() imports profile_of from this module.
    from dbt_automl.dbt._glue import _metadata_of, model_name_of
    from dbt_automl.dbt._tasks import current_version_dir

    caller = model_name_of(dbt)
    version_dir = current_version_dir(model, caller)
    metadata = _metadata_of(version_dir)
    name, version = metadata["model_name"], int(metadata["version"])
    profile = metadata.get("profile")
    if profile is None:
        raise RegistryError(
            f"{name} v{version} has no training profile to compare the rows with (it was "
            "trained before dbt-automl recorded one)",
            f"retrain it: `dbt build --select {name} --vars '{{automl_retrain: true}}'`",
            model=caller,
        )
    features = compare(profile, rows)
    if scores is not None:
        features += _prediction_drift(metadata, version_dir, scores, caller)
    _log_summary(caller, name, version, features)
    computed_at = datetime.now(UTC).replace(tzinfo=None)
    table = [
        {
            "model_name": name,
            "model_version": version,
            **feature.as_row(),
            "bins": json.dumps(feature.bin_rows()),
            "computed_at": computed_at,
        }
        for feature in features
    ]
    return pa.Table.from_pylist(table, schema=DRIFT_SCHEMA)


def _prediction_drift(
    metadata: dict[str, Any], version_dir: Path, scores: duckdb.DuckDBPyRelation, caller: str
) -> list[FeatureDrift]:
    """The ``__prediction__`` row, when the version recorded its test split's predictions;
    only the scores of that version count, and those of rows it trained on are compared
    with its predictions on its training rows (see :func:`_trained_share`)."""
    distribution = (metadata.get("decisions") or {}).get("prediction_distribution")
    if not distribution:
        get_logger().info(
            f"{caller}: {metadata['model_name']} v{metadata['version']} recorded no prediction "
            "distribution; the drift table has no __prediction__ row"
        )
        return []
    if "model_version" in scores.columns:
        scores = scores.filter(f"model_version = {int(metadata['version'])}")
    test_rows = (metadata.get("data") or {}).get("test_rows")
    share = _trained_share(metadata, version_dir, scores, caller)
    return [compare_predictions(distribution, scores, caller, test_rows, share)]


def _trained_share(
    metadata: dict[str, Any], version_dir: Path, scores: duckdb.DuckDBPyRelation, caller: str
) -> float:
    """The share of the scored rows whose keys are among the rows the version trained on
    (``rows.npy``, checksum verified), by the model's id columns; 0 (every row counts as
    new) when the model has no id columns, the scores lack them, or the version kept no
    keys."""
    name, version = metadata["model_name"], int(metadata["version"])
    ids = [c["name"] for c in metadata.get("id_columns") or []]
    trained = trained_keys(ModelVersion(name, version, version_dir, metadata)) if ids else None
    if trained is None or not set(ids) <= set(scores.columns):
        get_logger().info(
            f"{caller}: the scores of {name} v{version} are compared with its test split's "
            "predictions (no id columns or training keys to tell its training rows apart)"
        )
        return 0.0
    keys = row_keys(scores.project(", ".join(f'"{c}"' for c in ids)).to_arrow_table(), ids)
    if len(keys) == 0:
        return 0.0
    share = float(np.isin(keys, trained).mean())
    get_logger().info(
        f"{caller}: {share:.0%} of the {len(keys):,} rows scored by {name} v{version} are "
        "rows it trained on: their predictions are compared with its own on its training "
        "rows, the others' with its test split's"
    )
    return share


def _log_summary(caller: str, name: str, version: int, features: list[FeatureDrift]) -> None:
    moved = [f for f in features if f.level != "ok"]
    worst = ", ".join(
        f"{f.feature} {'no values' if f.psi is None else f'PSI {f.psi:.3f}'} ({f.level})"
        for f in sorted(moved, key=lambda f: -(f.psi if f.psi is not None else 1e9))[:5]
    )
    get_logger().info(
        f"{caller}: {len(moved)} of {len(features)} features of {name} v{version} drifted"
        + (f": {worst}" if worst else "")
    )
