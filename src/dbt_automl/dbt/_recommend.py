"""What recommendation python models call: train a recommender (``task: recommendation``)
and write its recommendations table.

The same shape as the forecasting glue: settings in ``meta.automl``, a registry version per
change of data or settings (the same fingerprint rule), one row per version in the
trained-model table, and a recommendations table that downstream SQL ``ref()``s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.dbt._relations import column_types, quote
from dbt_automl.dbt._reuse import reuse_or_build
from dbt_automl.dbt._tables import VERSION_KEYS, VERSION_PROVENANCE
from dbt_automl.dbt._tasks import (
    Fitted,
    common_row,
    load_current,
    train_or_reuse,
    version_metadata,
    versions_of,
)
from dbt_automl.errors import SchemaMismatchError
from dbt_automl.lifecycle import Scores
from dbt_automl.recommendation import (
    METRICS,
    RecommendConfig,
    RecommendModel,
    RecommendResult,
    parse_recommend_config,
)
from dbt_automl.registry import ModelVersion, Registry

# The test holdout's figures, as ``test_<metric>`` columns (the generic metric tests and
# expect_recommendations_to_beat_popularity read them).
TEST_METRICS = (
    *METRICS,
    *(f"popularity_{m}" for m in METRICS),
    "lift_over_popularity",
    "coverage",
)
COUNTS = ("n_users", "n_items", "n_interactions", "n_evaluated_users")


def train_recommender(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any]
) -> pa.Table:
    """Train (or reuse) a recommender on the interactions in ``rows``; one row per
    registered version. Unchanged data (fingerprint) and settings reuse the current one."""
    from dbt_automl.dbt._glue import model_name_of

    cfg = parse_recommend_config(config, model_name_of(dbt))

    def fit(_current: ModelVersion | None, n_rows: int, data_fp: str) -> Fitted:
        from dbt_automl.recommendation import train_recommender as train

        result = train(rows.to_arrow_table(), cfg, get_logger())
        data = {"rows": n_rows, "fingerprint": data_fp, "train_rows": result.n_rows}
        metadata = _metadata(cfg, result, column_types(rows), data)
        return Fitted(result.model, metadata, partial(_recipe_scores, result, cfg.metric))

    return train_or_reuse(rows, cfg, fit, lambda registry: recommend_versions_table(registry, cfg))


def _recipe_scores(result: RecommendResult, metric: str, champion: ModelVersion | None) -> Scores:
    """The challenger's test metric and the champion's recipe (candidate and parameters)
    refitted on the same training part and measured on the same held-out interactions: the
    champion's own model file was fitted on those very interactions and would be told
    they are seen, so its recipe is what can be judged fairly."""
    ours = result.metrics.get(metric)
    theirs = None
    if champion is not None and result.evaluate_recipe is not None:
        meta = champion.metadata
        if meta.get("task") == "recommendation":
            theirs = result.evaluate_recipe(meta["candidate"], meta["params"]).get(metric)
    rows = "the same held-out interactions (the champion's recipe refitted)"
    return Scores(metric, ours, theirs, True, rows=rows)


def _metadata(
    cfg: RecommendConfig, result: RecommendResult, types: dict[str, str], data: dict[str, Any]
) -> dict[str, Any]:
    model = result.model
    return version_metadata(
        cfg,
        data,
        result.duration_s,
        target=None,
        metric=cfg.metric,
        n=cfg.n,
        user_column={"name": cfg.user_column, "duckdb_type": types[cfg.user_column]},
        item_column={"name": cfg.item_column, "duckdb_type": types[cfg.item_column]},
        weight_column=cfg.weight_column,
        time_column=cfg.time_column,
        candidate=model.candidate,
        params=model.params,
        leaderboard=result.leaderboard,
        decisions=result.decisions,
        metrics={"test": result.metrics},
    )


VERSIONS_SCHEMA = pa.schema(
    [
        *VERSION_KEYS,
        ("n", pa.int32()),
        ("candidate", pa.string()),
        ("params", pa.string()),
        ("user_column", pa.string()),
        ("item_column", pa.string()),
        *[(f"test_{m}", pa.float64()) for m in TEST_METRICS],
        *[(c, pa.int64()) for c in COUNTS],
        ("train_rows", pa.int64()),
        *VERSION_PROVENANCE,
        ("leaderboard", pa.string()),
        ("decisions", pa.string()),
    ]
)


def recommend_versions_table(registry: Registry, cfg: RecommendConfig) -> pa.Table:
    """Every registered version of a recommendation model, the newest current."""
    return versions_of(registry, cfg.model_name, VERSIONS_SCHEMA, _version_row)


def _version_row(version: ModelVersion, is_current: bool) -> dict[str, Any]:
    meta = version.metadata
    test = meta["metrics"]["test"]
    return {
        **common_row(version, is_current),
        "n": meta["n"],
        "candidate": meta["candidate"],
        "params": json.dumps(meta["params"], sort_keys=True, default=str),
        "user_column": meta["user_column"]["name"],
        "item_column": meta["item_column"]["name"],
        **{f"test_{m}": _finite(test.get(m)) for m in TEST_METRICS},
        **{c: int(test[c]) for c in COUNTS},
        "train_rows": meta["data"]["train_rows"],
        "leaderboard": json.dumps(meta["leaderboard"], default=str),
        "decisions": json.dumps(meta["decisions"], sort_keys=True, default=str),
    }


def _finite(value: Any) -> float | None:
    # NaN (no popularity hit to divide by) is stored as null: SQL comparisons then fail
    # loudly in the generic tests instead of comparing with NaN.
    return None if value is None or value != value else float(value)


def recommend(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    users: duckdb.DuckDBPyRelation | None = None,
    catalogue: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table | duckdb.DuckDBPyRelation:
    """The current version's top-N items per user: user column, rank, item column, score,
    source (``model``, or ``popular`` for cold-start users and slots the model had no
    evidence for), model_name, model_version, recommended_at.

    ``users`` is a relation with the user column (None: every training user);
    ``catalogue`` one with the item column of the items still offered (None: every
    trained item may be recommended).
    """
    return reuse_or_build(
        dbt,
        session,
        model,
        [users, catalogue],
        {},
        lambda: _recommend(dbt, model, users, catalogue),
    )


def _recommend(
    dbt: Any,
    model: duckdb.DuckDBPyRelation,
    users: duckdb.DuckDBPyRelation | None,
    catalogue: duckdb.DuckDBPyRelation | None,
) -> pa.Table:
    from dbt_automl.dbt._glue import model_name_of

    log = get_logger()
    name = model_name_of(dbt)
    fitted, meta = _current(model, name)
    user_col, item_col = meta["user_column"]["name"], meta["item_column"]["name"]
    wanted = None if users is None else _column(users, user_col, "users", name)
    offered = None if catalogue is None else _column(catalogue, item_col, "catalogue", name)
    frame = fitted.recommend(wanted, catalogue=offered, log=log)
    log.info(
        f"{name}: {len(frame)} recommendations for {frame['user'].nunique()} users with "
        f"{meta['model_name']} v{meta['version']} ({meta['candidate']})"
    )
    return _recommendations_table(frame, fitted, meta)


def _current(model: duckdb.DuckDBPyRelation, name: str) -> tuple[RecommendModel, dict]:
    """The current version in a trained-model table, loaded (checksum verified)."""
    fitted, meta = load_current(model, RecommendModel, "a recommendation model", name)
    return fitted, meta


def _column(rel: duckdb.DuckDBPyRelation, column: str, role: str, name: str) -> list[Any]:
    if column not in rel.columns:
        raise SchemaMismatchError(
            f"the {role} relation has no column {column!r} (columns: {rel.columns})",
            f"select the model's {column} column in the {role} relation",
            model=name,
            column=column,
        )
    return [v for (v,) in rel.project(quote(column)).fetchall()]


def _recommendations_table(
    frame: pd.DataFrame, fitted: RecommendModel, meta: dict[str, Any]
) -> pa.Table:
    n = len(frame)
    columns = {
        meta["user_column"]["name"]: pa.array(frame["user"].tolist(), type=fitted.user_type),
        "rank": pa.array(frame["rank"].to_numpy(), type=pa.int32()),
        meta["item_column"]["name"]: pa.array(frame["item"].tolist(), type=fitted.item_type),
        "score": pa.array(frame["score"].to_numpy(dtype=float), type=pa.float64()),
        "source": pa.array(frame["source"].tolist(), type=pa.string()),
        "model_name": pa.array([meta["model_name"]] * n, type=pa.string()),
        "model_version": pa.array([int(meta["version"])] * n, type=pa.int32()),
        "recommended_at": pa.array(
            [datetime.now(UTC).replace(tzinfo=None)] * n, type=pa.timestamp("us")
        ),
    }
    return pa.table(columns)
