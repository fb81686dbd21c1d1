"""What every task's python-model glue shares: train a new version only when the data or
the settings changed, the metadata every version records, and the trained-model table's
common columns.

A task's glue (forecasting, clustering, anomaly detection, recommendations) supplies two
functions: ``fit`` (train on the relation, given the current version to build on, and
return the model and its task metadata) and ``table`` (the trained-model table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.cards import publish_after_train
from dbt_automl.dbt._drift import profile_of
from dbt_automl.dbt._relations import fingerprint
from dbt_automl.errors import RegistryError, SchemaMismatchError
from dbt_automl.lifecycle import (
    Newest,
    Scores,
    Verdict,
    decide,
    judge,
    pinned_versions,
    promotion_rule,
    recorded_score,
    recorded_scores,
    retrain_policy,
)
from dbt_automl.registry import (
    FORMAT_VERSION,
    Event,
    ModelVersion,
    Registry,
    Serving,
    config_hash,
    library_versions,
    registry_root,
)
from dbt_automl.registry import serving as replay


class TaskConfig(Protocol):
    """What the shared glue reads of a task's validated settings."""

    @property
    def model_name(self) -> str: ...  # noqa: D102

    @property
    def registry_path(self) -> str | None: ...  # noqa: D102

    @property
    def time_budget_s(self) -> float: ...  # noqa: D102

    @property
    def task(self) -> str | None: ...  # noqa: D102

    @property
    def raw(self) -> Mapping[str, Any]: ...  # noqa: D102


@dataclass
class Fitted:
    """A new version before it is registered: the model, its metadata, and (when the task
    can) how to measure the challenger and a champion on the challenger's held-out rows."""

    model: Any
    metadata: dict[str, Any]
    scores: Callable[[ModelVersion | None], Scores | None] | None = None
    extras: dict[str, bytes] | None = None  # files registered with the version


FitResult = Fitted | tuple[Any, dict[str, Any]]


def train_or_reuse(
    rows: duckdb.DuckDBPyRelation,
    cfg: TaskConfig,
    fit: Callable[[ModelVersion | None, int, str], FitResult],
    table: Callable[[Registry], pa.Table],
) -> pa.Table:
    """Train a new version when the model's ``retrain`` rule says so, judge it against the
    champion by its ``promotion`` rule, and return ``table(registry)``.

    ``fit(newest, n_rows, data_fingerprint)`` returns a :class:`Fitted` (or the model and
    its task metadata); :func:`version_metadata` adds what every version records. A new
    version serves only when promoted; a rejected one stays in the registry, listed.
    """
    log = get_logger()
    registry = Registry(registry_root(cfg.registry_path))
    registry.adopt(cfg.model_name)
    n_rows, data_fp = fingerprint(rows)
    newest = registry.current(cfg.model_name)
    verdict = _retrain_verdict(rows, cfg, newest, data_fp)
    if not verdict.train:
        log.info(
            f"{cfg.model_name}: reusing v{newest.version if newest else '?'} ({verdict.reason})"
        )
        publish_after_train(registry, cfg.model_name)
        return table(registry)
    log.info(f"{cfg.model_name}: training a new version ({verdict.reason})")
    fitted = fit(newest, n_rows, data_fp)
    if isinstance(fitted, tuple):
        fitted = Fitted(*fitted)
    champion = registry.champion(cfg.model_name)
    scores = _scores(fitted, champion)
    fitted.metadata["profile"] = fitted.metadata.get("profile") or profile_of(rows, cfg)
    version = registry.register(cfg.model_name, fitted.model, fitted.metadata, fitted.extras)
    log.info(f"{cfg.model_name}: registered v{version.version} at {version.path}")
    _judge_and_record(registry, cfg, version, champion, scores)
    publish_after_train(registry, cfg.model_name)
    return table(registry)


def _retrain_verdict(
    rows: duckdb.DuckDBPyRelation, cfg: TaskConfig, newest: ModelVersion | None, data_fp: str
) -> Verdict:
    meta = None if newest is None else newest.metadata
    latest = None
    if newest is not None and meta is not None:
        latest = Newest(
            version=newest.version,
            data_fingerprint=meta["data"]["fingerprint"],
            config_hash=meta["config_hash"],
            library_version=meta.get("versions", {}).get("dbt-automl", ""),
            readable=meta["format_version"] == FORMAT_VERSION,
            created_at=datetime.fromisoformat(meta["created_at"]),
        )

    def drift() -> tuple[str, float] | None:
        return _largest_shift(rows, meta)

    return decide(
        latest,
        retrain_policy(cfg.raw, cfg.model_name),
        data_fp,
        config_hash(cfg),
        library_versions()["dbt-automl"],
        drift,
    )


def _largest_shift(
    rows: duckdb.DuckDBPyRelation, meta: dict[str, Any] | None
) -> tuple[str, float] | None:
    """The training column that moved most since the newest version (PSI), or None when
    that version recorded no profile."""
    profile = (meta or {}).get("profile")
    if not profile:
        return None
    from dbt_automl.drift import compare

    shifts = [(d.feature, d.psi) for d in compare(profile, rows) if d.psi is not None]
    return max(shifts, key=lambda s: s[1]) if shifts else None


def _scores(fitted: Fitted, champion: ModelVersion | None) -> Scores | None:
    if fitted.scores is not None:
        return fitted.scores(champion)
    return recorded_scores(fitted.metadata, None if champion is None else champion.metadata)


def _judge_and_record(
    registry: Registry,
    cfg: TaskConfig,
    version: ModelVersion,
    champion: ModelVersion | None,
    scores: Scores | None,
) -> None:
    rule = promotion_rule(cfg.raw, cfg.model_name)
    champion_number = None if champion is None else champion.version
    verdict = judge(scores, rule, champion_number)
    action = "promoted" if verdict.promote else "rejected"
    registry.record(
        cfg.model_name,
        Event(
            version.version,
            action,
            verdict.reason,
            metric=None if scores is None else scores.metric,
            challenger_score=None if scores is None else scores.challenger,
            champion_score=None if scores is None else scores.champion,
            champion_version=champion_number,
        ),
    )
    log = get_logger()
    if verdict.promote:
        log.info(f"{cfg.model_name}: v{version.version} promoted to champion ({verdict.reason})")
    else:
        log.warning(
            f"{cfg.model_name}: v{version.version} not promoted, v{champion_number} keeps "
            f"serving ({verdict.reason})"
        )


def serving_version(
    registry: Registry, model_name: str, state: Serving | None = None
) -> int | None:
    """The version this run serves: ``--vars '{automl_pin: {<model>: N}}'``, else the
    registry's pin or champion (``state``: the registry's, when already read).

    Raises:
        RegistryError: the var pins a version that does not exist.
    """
    pinned = pinned_versions().get(model_name)
    if pinned is not None:
        return registry.version(model_name, pinned).version
    return (state or registry.serving(model_name)).version


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
    """Every version of a model, one ``row`` each; the one serving is current, and each
    has its lifecycle ``status``."""
    # Every version's metadata and the log are read once: a table lists them all.
    versions, events = registry.versions(model_name), registry.history(model_name)
    state = replay([v.version for v in versions], events)
    serving = serving_version(registry, model_name, state)
    last = {e["version"]: e for e in events}
    rows = [
        {
            **row(v, v.version == serving),
            "status": _status(state.status, v.version, serving),
            "status_reason": last.get(v.version, {}).get("reason"),
            "status_at": _when(last.get(v.version, {}).get("at")),
            "score": recorded_score(v.metadata),
        }
        for v in versions
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def _when(at: str | None) -> datetime | None:
    return None if at is None else datetime.fromisoformat(at).replace(tzinfo=None)


def _status(status: dict[int, str], version: int, serving: int | None) -> str:
    """The logged status, or ``pinned`` for the version a run's var pins."""
    logged = status.get(version, "challenger")
    return "pinned" if version == serving and logged != "champion" else logged


def load_current(
    model: duckdb.DuckDBPyRelation, expected: type, what: str, caller: str
) -> tuple[Any, dict[str, Any]]:
    """The current version in a trained-model table, loaded (checksum verified) and
    checked to be an ``expected`` model (``what`` names it in errors: "an anomaly
    detector"); ``caller`` is the dbt model asking, named in every error.

    Raises:
        RegistryError: no version is current, or the current one is of another task.
    """
    from dbt_automl.registry import load_version

    loaded, meta = load_version(current_version_dir(model, caller, what))
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


def current_version_dir(
    model: duckdb.DuckDBPyRelation, caller: str, what: str = "the model"
) -> Path:
    """The registry directory of the version a trained-model table marks current.

    Raises:
        RegistryError: no version is current (:func:`no_current_version` says why).
    """
    from dbt_automl.registry import locate_version

    found = model.filter("is_current").project("artifact_path, model_name, version").fetchall()
    if not found:
        raise no_current_version(model, caller, what)
    return locate_version(*found[0])


def no_current_version(
    model: duckdb.DuckDBPyRelation, caller: str, what: str = "the model"
) -> RegistryError:
    """The error for a trained-model table with no version serving: never built, or every
    version kept out by the promotion rule (then it says why)."""
    rejected = model.project("model_name, version, status_reason").order("version").fetchall()
    if not rejected:
        return RegistryError(
            "the trained-model table has no current version",
            f"build {what} first (`dbt build --select <model>`)",
            model=caller,
        )
    name, version, reason = rejected[-1]
    return RegistryError(
        f"no version of {name} serves: v{version} was not promoted ({reason})",
        f"lower meta.automl.promotion of {name}, or promote one: "
        f"`dbt-automl models promote {name} {version}`",
        model=caller,
    )
