"""Reading training data out of DuckDB: checks, fingerprint and in-database sampling."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._config import AutomlConfig
from dbt_automl._errors import TrainingDataError
from dbt_automl._log import Logger


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def column_types(rel: duckdb.DuckDBPyRelation) -> dict[str, str]:
    """Column name to DuckDB type name, in relation order."""
    return {name: str(t) for name, t in zip(rel.columns, rel.types, strict=True)}


def fingerprint(rel: duckdb.DuckDBPyRelation) -> tuple[int, str]:
    """Row count and an order-independent SHA-256 of schema and content.

    Summing row hashes in DuckDB fingerprints any size of table without moving it to Python.
    """
    count, total = rel.query(
        "__automl_fp", "select count(*), sum(hash(__automl_fp)) from __automl_fp"
    ).fetchall()[0]
    digest = hashlib.sha256(
        json.dumps([column_types(rel), count, str(total)]).encode()
    ).hexdigest()
    return int(count), digest


def check_columns(rel: duckdb.DuckDBPyRelation, cfg: AutomlConfig) -> None:
    """Fail early, naming the column, when the target or a configured column is missing."""
    present = set(rel.columns)
    wanted = [("target", cfg.target), *[("id_columns", c) for c in cfg.id_columns]]
    wanted += [("exclude", c) for c in cfg.exclude]
    for key, column in wanted:
        if column not in present:
            raise TrainingDataError(
                f"dbt-automl: model {cfg.model_name}: column {column!r} (meta.automl.{key}) "
                f"is not in the training table; it has {sorted(present)}. Fix: add the column "
                f"to the feature model or correct meta.automl.{key}"
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
        rel = rel.query(
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
