"""Scoring: check the rows against the model's schema, stream them through it as Arrow.

:class:`Scorer` is one loaded model version; the python scoring model
(:func:`score_batches`) and the SQL function both score through it.
"""

from __future__ import annotations

from dbt_automl.scoring._batches import PROVENANCE, output_schema, score_batches
from dbt_automl.scoring._checks import check_rows
from dbt_automl.scoring._scorer import SCORERS, Scorer, ScorerCache

__all__ = [
    "PROVENANCE",
    "SCORERS",
    "Scorer",
    "ScorerCache",
    "check_rows",
    "output_schema",
    "score_batches",
]
