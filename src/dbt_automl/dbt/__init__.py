"""The glue dbt python models call: train, score and list models inside a dbt run.

Reads relations and samples them in DuckDB (:mod:`._relations`), builds the tables python
models return (:mod:`._tables`), and reports on a warehouse (:mod:`._summary`).
"""

from __future__ import annotations

from dbt_automl.dbt._glue import model_name_of, score, train
from dbt_automl.dbt._relations import fingerprint
from dbt_automl.dbt._tables import leaderboard, versions_schema, versions_table

__all__ = [
    "fingerprint",
    "leaderboard",
    "model_name_of",
    "score",
    "train",
    "versions_schema",
    "versions_table",
]
