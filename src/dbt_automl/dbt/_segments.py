"""What segmentation python models call: train a segmentation (``task: clustering``), write
its assignment table and its profile table.

The same shape as the other tasks' glue: settings in ``meta.automl``, a registry version per
change of data or settings (the same fingerprint rule), one row per version in the
trained-model table, and tables that downstream SQL ``ref()``s. A retrain starts from the
current version, so segment ids keep their meaning (``test_kept_share`` says how far).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._log import Logger, get_logger
from dbt_automl.clustering import (
    CLUSTERING_TASK,
    ClusterConfig,
    ClusterModel,
    ClusterResult,
    parse_cluster_config,
)
from dbt_automl.dbt._judge_unsupervised import segment_scores
from dbt_automl.dbt._relations import column_types
from dbt_automl.dbt._reuse import reuse_or_build
from dbt_automl.dbt._tables import VERSION_KEYS, VERSION_PROVENANCE
from dbt_automl.dbt._tasks import (
    Fitted,
    common_row,
    load_current,
    no_current_version,
    require_columns,
    train_or_reuse,
    version_metadata,
    versions_of,
)
from dbt_automl.errors import DbtAutomlError
from dbt_automl.registry import ModelVersion, Registry, load_version

METRICS = ("silhouette", "davies_bouldin", "min_segment_share", "max_segment_share", "kept_share")
ASSIGN_BATCH_ROWS = 50_000


def train_segments(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any]
) -> pa.Table:
    """Train (or reuse) a segmentation on ``rows``; one row per registered version.

    Unchanged data (fingerprint) and settings reuse the current version; otherwise the
    current version (when it is a segmentation) is the one new segment ids are matched to.
    """
    from dbt_automl.dbt._glue import model_name_of

    cfg = parse_cluster_config(config, model_name_of(dbt))
    log = get_logger()

    def fit(current: ModelVersion | None, n_rows: int, data_fp: str) -> Fitted:
        from dbt_automl.clustering import train_clusterer

        previous = _previous_model(current, cfg, log)
        table = rows.to_arrow_table()
        result = train_clusterer(table, cfg, log, previous)
        data = {"rows": n_rows, "fingerprint": data_fp, "train_rows": result.n_rows}
        metadata = _metadata(cfg, result, column_types(rows), data)
        return Fitted(result.model, metadata, partial(segment_scores, table, result.model))

    return train_or_reuse(rows, cfg, fit, lambda registry: segment_versions_table(registry, cfg))


def _previous_model(
    current: ModelVersion | None, cfg: ClusterConfig, log: Logger
) -> ClusterModel | None:
    """The current version's model to match segment ids to, or None (fresh ids, said)."""
    if current is None:
        return None
    if current.metadata.get("task") != CLUSTERING_TASK:
        log.warning(
            f"{cfg.model_name}: v{current.version} is a {current.metadata.get('task')} model; "
            "the new segments get fresh ids"
        )
        return None
    try:
        model, _ = load_version(current.path)
    except DbtAutomlError as error:
        log.warning(f"{cfg.model_name}: cannot load v{current.version} ({error}); fresh ids")
        return None
    return model if isinstance(model, ClusterModel) else None


def _metadata(
    cfg: ClusterConfig, result: ClusterResult, types: dict[str, str], data: dict[str, Any]
) -> dict[str, Any]:
    return version_metadata(
        cfg,
        data,
        result.duration_s,
        target=None,
        metric=result.decisions["choice"]["criterion"],
        id_columns=[{"name": c, "duckdb_type": types[c]} for c in cfg.id_columns],
        k=result.metrics["k"],
        family=result.metrics["family"],
        metrics={"train": result.metrics},
        leaderboard=result.leaderboard,
        curve=result.curve,
        profiles=result.profiles,
        matching=result.matching,
        decisions=result.decisions,
    )


VERSIONS_SCHEMA = pa.schema(
    [
        *VERSION_KEYS,
        ("k", pa.int32()),
        ("family", pa.string()),
        ("id_columns", pa.string()),
        # Measured on the training rows (there is no held-out truth for segments): the
        # test_ prefix is the one the generic metric tests read, as for the other tasks.
        *[(f"test_{m}", pa.float64()) for m in METRICS],
        ("bic", pa.float64()),
        ("train_rows", pa.int64()),
        *VERSION_PROVENANCE,
        ("leaderboard", pa.string()),
        ("curve", pa.string()),
        ("profiles", pa.string()),
        ("matching", pa.string()),
        ("decisions", pa.string()),
    ]
)


def segment_versions_table(registry: Registry, cfg: ClusterConfig) -> pa.Table:
    """Every registered version of a segmentation model, the newest current."""
    return versions_of(registry, cfg.model_name, VERSIONS_SCHEMA, _version_row)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
    train = meta["metrics"]["train"]
    return {
        **common_row(version, is_current),
        "k": meta["k"],
        "family": meta["family"],
        "id_columns": json.dumps([c["name"] for c in meta["id_columns"]]),
        **{f"test_{m}": train.get(m) for m in METRICS},
        "bic": train.get("bic"),
        "train_rows": meta["data"]["train_rows"],
        "leaderboard": json.dumps(meta["leaderboard"], default=str),
        "curve": json.dumps(meta["curve"], default=str),
        "profiles": json.dumps(meta["profiles"], default=str),
        "matching": json.dumps(meta["matching"], default=str),
        "decisions": json.dumps(meta["decisions"], sort_keys=True, default=str),
    }


def _current(model: duckdb.DuckDBPyRelation, name: str) -> tuple[ClusterModel, dict[str, Any]]:
    """The current version in a trained-model table, loaded (checksum verified)."""
    fitted, meta = load_current(model, ClusterModel, "a segmentation model", name)
    return fitted, meta


def segment(
    dbt: Any, session: Any, model: duckdb.DuckDBPyRelation, rows: duckdb.DuckDBPyRelation
) -> pa.Table | duckdb.DuckDBPyRelation:
    """The current version's segment of every row of ``rows``: the id columns, ``segment``,
    ``segment_label``, ``distance``, ``probability``, ``model_name``, ``model_version``,
    ``assigned_at`` (see :class:`~dbt_automl.clustering.ClusterModel` for distance and
    probability). Rows are read in batches, so memory does not grow with the table.

    Raises:
        SchemaMismatchError: an id or feature column the model uses is missing.
    """
    return reuse_or_build(dbt, session, model, [rows], {}, lambda: _segment(dbt, model, rows))


def _segment(dbt: Any, model: duckdb.DuckDBPyRelation, rows: duckdb.DuckDBPyRelation) -> pa.Table:
    from dbt_automl.dbt._glue import model_name_of

    name = model_name_of(dbt)
    fitted, meta = _current(model, name)
    ids = [c["name"] for c in meta["id_columns"]]
    require_columns(rows, ids, name, "select the id columns the segmentation was trained with")
    assigned_at = datetime.now(UTC).replace(tzinfo=None)
    parts = []
    for batch in rows.to_arrow_reader(ASSIGN_BATCH_ROWS):
        frame = fitted.assign(batch)
        for column in reversed(ids):
            frame.insert(0, column, batch.column(column).to_pandas())
        parts.append(pa.Table.from_pandas(frame, preserve_index=False))
    table = pa.concat_tables(parts) if parts else _empty(rows, ids)
    n = table.num_rows
    get_logger().info(
        f"{name}: assigned {n} rows to {fitted.k} segments with "
        f"{meta['model_name']} v{meta['version']}"
    )
    table = table.append_column("model_name", pa.array([meta["model_name"]] * n, pa.string()))
    table = table.append_column("model_version", pa.array([int(meta["version"])] * n, pa.int32()))
    return table.append_column("assigned_at", pa.array([assigned_at] * n, pa.timestamp("us")))


def _empty(rows: duckdb.DuckDBPyRelation, ids: list[str]) -> pa.Table:
    schema = rows.limit(0).to_arrow_table().schema
    fields = [schema.field(c) for c in ids] + [
        pa.field("segment", pa.int64()),
        pa.field("segment_label", pa.string()),
        pa.field("distance", pa.float64()),
        pa.field("probability", pa.float64()),
    ]
    return pa.schema(fields).empty_table()


PROFILES_SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("model_version", pa.int32()),
        ("segment", pa.int64()),
        ("segment_label", pa.string()),
        ("size", pa.int64()),
        ("share", pa.float64()),
        ("description", pa.string()),
        ("traits", pa.string()),
    ]
)


def segment_profiles(dbt: Any, session: Any, model: duckdb.DuckDBPyRelation) -> pa.Table:
    """One row per segment of the current version: its size and share of the training
    rows, its label, a one-line description and the traits that set it apart (JSON: the
    top features by standardised difference from the whole)."""
    from dbt_automl.dbt._glue import model_name_of

    name = model_name_of(dbt)
    found = model.filter("is_current").project("model_name, version, profiles").fetchall()
    if not found:
        raise no_current_version(model, name, "the segmentation model")
    model_name, version, profiles = found[0]
    rows = [
        {
            "model_name": model_name,
            "model_version": int(version),
            "segment": p["segment"],
            "segment_label": p["label"],
            "size": p["size"],
            "share": p["share"],
            "description": p["description"],
            "traits": json.dumps(p["traits"], default=str),
        }
        for p in json.loads(profiles)
    ]
    return pa.Table.from_pylist(rows, schema=PROFILES_SCHEMA)
