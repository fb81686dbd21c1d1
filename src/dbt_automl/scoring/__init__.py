"""Scoring: check the rows against the model's schema, stream them through it as Arrow.

:class:`Scorer` is one loaded model version; the python scoring model
(:func:`score_batches`) and the SQL function both score through it. :class:`Explainer`
adds each row's top input-column contributions when a scores model asks (``explain``).
"""

from __future__ import annotations

from dbt_automl.scoring._batches import PROVENANCE, output_schema, score_batches
from dbt_automl.scoring._checks import check_rows
from dbt_automl.scoring._explain import Explainer, explain_count, explanation_fields
from dbt_automl.scoring._scorer import SCORERS, Scorer, ScorerCache

__all__ = [
    "PROVENANCE",
    "SCORERS",
    "Explainer",
    "Scorer",
    "ScorerCache",
    "check_rows",
    "explain_count",
    "explanation_fields",
    "output_schema",
    "score_batches",
]
