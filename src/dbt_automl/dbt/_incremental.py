"""Which rows a scoring model scores: all of them, or on an incremental run only the new ones.

An incremental run (``materialized='incremental'``, ``unique_key`` = the model's id
columns) scores a row when its key is not in the prediction table yet, when its feature
values changed since it was scored (the ``feature_hash`` column differs), or when it was
scored by another model version. The filtering is an anti-join in DuckDB against
``{{ this }}``; Python only sees the rows it scores. Keys that left the scored relation are
deleted from the prediction table, so it holds what a full rebuild would hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from dbt_automl._log import Logger
from dbt_automl.dbt._relations import quote

FEATURE_HASH = "feature_hash"
"""Prediction-table column: DuckDB ``hash()`` of the model's feature columns when scored."""

# The same hash under a name no feature column can have, while it travels with the features.
HASH_INPUT = "__automl_feature_hash"

# Columns an incremental run compares against; a table without them is rescored whole.
_COMPARED = ("model_name", "model_version", FEATURE_HASH)


@dataclass
class ScoringPlan:
    """The rows to score (ids, features, ``HASH_INPUT``) and what the plan left out."""

    rows: duckdb.DuckDBPyRelation
    incremental: bool
    total: int = 0
    deleted: int = 0

    def summary(self, scored: int) -> str:
        """One log line's worth of counts."""
        if not self.incremental:
            return f"scored all {scored} rows"
        return (
            f"scored {scored} of {self.total} rows (new, changed or scored by another "
            f"version), skipped {self.total - scored} unchanged, deleted {self.deleted} "
            "whose key left the scored rows"
        )


def plan_scoring(
    dbt: Any,
    session: Any,
    rows: duckdb.DuckDBPyRelation,
    metadata: dict[str, Any],
    log: Logger,
    required: Sequence[str] = (),
) -> ScoringPlan:
    """Rows to score for this run, as a lazy relation; on an incremental run also deletes
    the keys that are no longer in ``rows`` from ``dbt.this``. A prediction table without
    one of the ``required`` columns (explanations asked for since it was scored) is
    rescored whole.
    """
    ids = [c["name"] for c in metadata["id_columns"]]
    features = [c["name"] for c in metadata["features"]["columns"]]
    hashed = ", ".join(quote(c) for c in features)
    source = (
        f"select {', '.join(quote(c) for c in ids + features)}, "
        f"hash({hashed}) as {HASH_INPUT} from ({rows.sql_query()}) as __automl_rows"
    )
    this = str(dbt.this)
    drop_leftover_tables(session, this.split(".")[-1].strip('"'))
    if not getattr(dbt, "is_incremental", False):
        return ScoringPlan(session.sql(source), incremental=False)
    missing = [c for c in [*ids, *_COMPARED, *required] if c not in _columns(session, this)]
    if missing:
        log.warning(
            f"{this} has no column(s) {missing}: rescoring every row. Add "
            "`on_schema_change: append_new_columns` to the model's config or run it once "
            "with --full-refresh"
        )
        return ScoringPlan(session.sql(source), incremental=False)
    deleted = _delete_gone_keys(session, this, rows, ids)
    same_key = " and ".join(f"t.{quote(c)} = s.{quote(c)}" for c in ids)
    fresh = session.sql(
        f"""select s.* from ({source}) as s
            where not exists (
                select 1 from {this} as t
                where {same_key}
                    and t.{FEATURE_HASH} = s.{HASH_INPUT}
                    and t.model_name = $name and t.model_version = $version
            )""",
        params={"name": metadata["model_name"], "version": int(metadata["version"])},
    )
    total = session.sql(f"select count(*) from ({rows.sql_query()})").fetchall()[0][0]
    return ScoringPlan(fresh, incremental=True, total=int(total), deleted=deleted)


def _columns(session: Any, relation: str) -> set[str]:
    return {row[0] for row in session.sql(f"describe {relation}").fetchall()}


def _delete_gone_keys(
    session: Any, this: str, rows: duckdb.DuckDBPyRelation, ids: list[str]
) -> int:
    """Delete prediction rows whose key is no longer among ``rows``; returns how many."""
    same_key = " and ".join(f"s.{quote(c)} = t.{quote(c)}" for c in ids)
    result = session.execute(
        f"""delete from {this} as t where not exists (
                select 1 from ({rows.sql_query()}) as s where {same_key}
            )"""
    ).fetchall()
    return int(result[0][0]) if result else 0


def drop_leftover_tables(session: Any, identifier: str) -> None:
    """Drop the ``<model>__dbt_tmp<timestamp>`` tables earlier incremental runs left behind.

    dbt-duckdb 1.11 writes a python model's incremental batch to a table with that name in
    the connection's default database and never drops it (its SQL models use a temporary
    table): without this, every incremental run would leave one more table of scores.
    """
    pattern = re.escape(identifier) + r"__dbt_tmp[0-9]+"
    leftovers = session.sql(
        """select database_name, schema_name, table_name from duckdb_tables()
           where not temporary and database_name = current_database()
               and regexp_full_match(table_name, $p)""",
        params={"p": pattern},
    ).fetchall()
    for database, schema, table in leftovers:
        session.execute(f"drop table if exists {quote(database)}.{quote(schema)}.{quote(table)}")
