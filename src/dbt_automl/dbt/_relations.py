"""Reading relations out of DuckDB: checks, fingerprint and in-database sampling."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.config import AutomlConfig
from dbt_automl.errors import TrainingDataError


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _query(rel: duckdb.DuckDBPyRelation, alias: str, sql: str) -> duckdb.DuckDBPyRelation:
    """``rel.query``, which DuckDB types as optional although a select always returns rows."""
    result = rel.query(alias, sql)
    assert result is not None
    return result


def column_types(rel: duckdb.DuckDBPyRelation) -> dict[str, str]:
    """Column name to DuckDB type name, in relation order."""
    return {name: str(t) for name, t in zip(rel.columns, rel.types, strict=True)}


# Doubles are hashed at this many significant digits: a sum DuckDB adds up in another order
# differs in its last bits, and must not make unchanged data look changed (it retrained every
# model on every build). A real change below 5e-10 relative goes unnoticed.
FINGERPRINT_DIGITS = 9


def _rounded(column: str, digits: int) -> str:
    """SQL for ``column`` at ``digits`` significant digits (zero and non-finite values kept
    as they are; ``+ 0.0`` makes -0.0 and 0.0 one value)."""
    c = quote(column)
    return (
        f"case when {c} = 0 or not isfinite({c}) then {c} + 0.0 "
        f"else round({c}, {digits - 1} - cast(floor(log10(abs({c}))) as integer)) end"
    )


def fingerprint(rel: duckdb.DuckDBPyRelation) -> tuple[int, str]:
    """Row count and a SHA-256 of schema and content, the same for the same data however
    DuckDB orders the rows or sums the floats that made them.

    Every row is hashed on its own and the hashes are added as exact integers in DuckDB, so
    any size of table is fingerprinted without moving it to Python, in any order. Doubles
    (and floats) are rounded to FINGERPRINT_DIGITS (6) significant digits first.
    """
    types = column_types(rel)
    select = []
    for name, type_name in types.items():
        digits = {"DOUBLE": FINGERPRINT_DIGITS, "FLOAT": 6}.get(type_name)
        expr = quote(name) if digits is None else _rounded(name, digits)
        select.append(f"{expr} as {quote(name)}")
    count, total = _query(
        rel,
        "__automl_fp",
        f"select count(*), sum(hash(__automl_row)) from "
        f"(select {', '.join(select)} from __automl_fp) as __automl_row",
    ).fetchall()[0]
    payload = json.dumps([types, count, str(total), FINGERPRINT_DIGITS])
    return int(count), hashlib.sha256(payload.encode()).hexdigest()


def check_columns(rel: duckdb.DuckDBPyRelation, cfg: AutomlConfig) -> None:
    """Fail early, naming the column, when the target or a configured column is missing."""
    present = set(rel.columns)
    wanted = [("target", cfg.target), *[("id_columns", c) for c in cfg.id_columns]]
    wanted += [("exclude", c) for c in cfg.exclude]
    for key, column in wanted:
        if column not in present:
            raise TrainingDataError(
                f"not in the training table (it has {sorted(present)})",
                f"add the column to the feature model or correct meta.automl.{key}",
                model=cfg.model_name,
                column=column,
                key=key,
            )


def load_training_table(
    rel: duckdb.DuckDBPyRelation, cfg: AutomlConfig, n_rows: int, log: Logger
) -> tuple[pa.Table, dict[str, Any]]:
    """The rows to train on as Arrow, sampled inside DuckDB when over ``max_train_rows``.

    Rows with a null target are left out (they cannot teach anything).
    """
    target = quote(cfg.target)
    rel = rel.filter(f"{target} is not null")
    info: dict[str, Any] = {"rows": n_rows, "sampled": False}
    if n_rows > cfg.max_train_rows:
        fraction = cfg.max_train_rows / n_rows
        # Stratified by target value (every class keeps its share) and seeded, so it repeats.
        rel = _query(
            rel,
            "__automl_rows",
            f"""select * exclude (__rn, __n) from (
                    select *,
                        row_number() over (
                            partition by {target} order by hash(__automl_rows, {cfg.seed})
                        ) as __rn,
                        count(*) over (partition by {target}) as __n
                    from __automl_rows
                ) where __rn <= ceil(__n * {fraction})""",
        )
        info.update(sampled=True, fraction=fraction)
        log.info(
            f"{cfg.model_name}: {n_rows} rows exceed max_train_rows={cfg.max_train_rows}; "
            f"training on a stratified {fraction:.1%} sample drawn in DuckDB"
        )
    table = rel.to_arrow_table()
    info["loaded_rows"] = table.num_rows
    return table, info
