"""What every task's python-model glue shares: train a new version only when the data or
the settings changed, the metadata every version records, and the trained-model table's
common columns.

A task's glue (forecasting, clustering, anomaly detection, recommendations) supplies two
functions: ``fit`` (train on the relation, given the current version to build on, and
return the model and its task metadata) and ``table`` (the trained-model table).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.dbt._relations import fingerprint
from dbt_automl.errors import RegistryError, SchemaMismatchError
from dbt_automl.registry import (
    ModelVersion,
    Registry,
    config_hash,
    library_versions,
    registry_root,
)


class TaskConfig(Protocol):
    """What the shared glue reads of a task's validated settings."""

    @property
    def model_name(self) -> str: ...  # noqa: D102

    @property
    def registry_path(self) -> str | None: ...  # noqa: D102

    @property
    def time_budget_s(self) -> float: ...  # noqa: D102

    @property
    def task(self) -> str: ...  # noqa: D102


def train_or_reuse(
    rows: duckdb.DuckDBPyRelation,
    cfg: TaskConfig,
    fit: Callable[[ModelVersion | None, int, str], tuple[Any, dict[str, Any]]],
    table: Callable[[Registry], pa.Table],
) -> pa.Table:
    """Register a new version trained by ``fit`` unless the data and settings are unchanged.

    ``fit(current, n_rows, data_fingerprint)`` returns the model and the task's own
    metadata; :func:`version_metadata` adds what every version records. Returns
    ``table(registry)``, the model's trained-model table.
    """
    from dbt_automl.dbt._glue import unchanged

    log = get_logger()
    registry = Registry(registry_root(cfg.registry_path))
    n_rows, data_fp = fingerprint(rows)
    current = registry.current(cfg.model_name)
    if current is not None and unchanged(current, cfg, data_fp):
        log.info(
            f"{cfg.model_name}: data and settings unchanged since v{current.version}; "
            "reusing it (change the data or meta.automl to retrain)"
        )
        return table(registry)
    model, metadata = fit(current, n_rows, data_fp)
    version = registry.register(cfg.model_name, model, metadata)
    log.info(f"{cfg.model_name}: registered v{version.version} at {version.path}")
    return table(registry)


def version_metadata(
    cfg: Any, data: dict[str, Any], duration_s: float, **task_fields: Any
) -> dict[str, Any]:
    """A version's metadata: the task's own fields plus settings, data and provenance."""
    return {
        "created_at": datetime.now(UTC).isoformat(),
        "task": cfg.task,
        **task_fields,
        "data": data,
        "config": dict(cfg.raw),
        "config_hash": config_hash(cfg),
        "time_budget_s": cfg.time_budget_s,
        "duration_s": duration_s,
        "versions": library_versions(),
    }


def common_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    """The trained-model table's key and provenance columns of one version
    (``VERSION_KEYS`` and ``VERSION_PROVENANCE``); ``target`` / ``metric`` as recorded."""
    meta = version.metadata
    return {
        "model_name": version.model_name,
        "version": version.version,
        "is_current": is_current,
        "task": meta["task"],
        "target": meta.get("target"),
        "metric": meta.get("metric"),
        "duration_s": meta["duration_s"],
        "trained_at": datetime.fromisoformat(meta["created_at"]).replace(tzinfo=None),
        "data_fingerprint": meta["data"]["fingerprint"],
        "artifact_path": meta["artifact"]["path"],
        "sha256": meta["artifact"]["sha256"],
    }


def versions_of(
    registry: Registry,
    model_name: str,
    schema: pa.Schema,
    row: Callable[[ModelVersion, bool], dict[str, Any]],
) -> pa.Table:
    """Every version of a model, one ``row`` each, the newest current."""
    versions = registry.versions(model_name)
    rows = [row(v, v is versions[-1]) for v in versions]
    return pa.Table.from_pylist(rows, schema=schema)


def load_current(
    model: duckdb.DuckDBPyRelation, expected: type, what: str, caller: str
) -> tuple[Any, dict[str, Any]]:
    """The current version in a trained-model table, loaded (checksum verified) and
    checked to be an ``expected`` model (``what`` names it in errors: "an anomaly
    detector"); ``caller`` is the dbt model asking, named in every error.

    Raises:
        RegistryError: no version is current, or the current one is of another task.
    """
    from dbt_automl.registry import load_version, locate_version

    found = model.filter("is_current").project("artifact_path, model_name, version").fetchall()
    if not found:
        raise RegistryError(
            "the trained-model table has no current version",
            f"build {what} first (`dbt build --select <model>`)",
            model=caller,
        )
    loaded, meta = load_version(locate_version(*found[0]))
    if not isinstance(loaded, expected):
        raise RegistryError(
            f"{meta['model_name']} v{meta['version']} is a {meta['task']} model, not {what}",
            f"pass {what}'s trained-model table as `model`",
            model=caller,
        )
    return loaded, meta


def require_columns(
    rows: duckdb.DuckDBPyRelation, columns: list[str], caller: str, fix: str
) -> None:
    """Refuse rows that lack one of ``columns`` (the model's id columns), naming it.

    Raises:
        SchemaMismatchError: a column is missing.
    """
    for column in columns:
        if column not in rows.columns:
            raise SchemaMismatchError(
                "id column missing from the rows passed", fix, model=caller, column=column
            )
