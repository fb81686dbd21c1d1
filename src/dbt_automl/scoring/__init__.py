"""Scoring: check the rows against the model's schema, stream them through it as Arrow."""

from __future__ import annotations

from dbt_automl.scoring._batches import PROVENANCE, output_schema, score_batches
from dbt_automl.scoring._checks import check_rows

__all__ = ["PROVENANCE", "check_rows", "output_schema", "score_batches"]
