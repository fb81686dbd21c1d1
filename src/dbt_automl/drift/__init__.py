"""Drift: how far the rows being scored are from the rows a model was trained on.

:func:`training_profile` records, at training time, each column's bins and shares (decile
edges for numbers, top categories for the rest) and null rate, in DuckDB; it is stored as
``metadata["profile"]``. :func:`compare` bins new rows with the same bins and returns one
:class:`FeatureDrift` per feature: PSI, share of unseen categories, null rates, and the
bin shares a chart plots. :func:`compare_predictions` does the same for scored predictions
against the test split's recorded distribution. ``dbt_automl.drift(dbt, session, ...)``
(the python-model entry point) builds the drift table from them.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from dbt_automl.drift._compare import (
    EPSILON,
    ERROR_PSI,
    WARN_PSI,
    FeatureDrift,
    compare,
    drift_level,
    psi,
)
from dbt_automl.drift._prediction import (
    PREDICTION_FEATURE,
    compare_predictions,
    prediction_reference,
)
from dbt_automl.drift._profile import (
    MAX_INTEGER_CATEGORIES,
    PROFILE_FORMAT,
    TOP_CATEGORIES,
    training_profile,
)
from dbt_automl.drift._sql import OTHER, UNSEEN

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = [
    "EPSILON",
    "ERROR_PSI",
    "MAX_INTEGER_CATEGORIES",
    "OTHER",
    "PREDICTION_FEATURE",
    "PROFILE_FORMAT",
    "TOP_CATEGORIES",
    "UNSEEN",
    "WARN_PSI",
    "FeatureDrift",
    "compare",
    "compare_predictions",
    "drift_level",
    "prediction_reference",
    "psi",
    "training_profile",
]


class _DriftModule(types.ModuleType):
    """This package, callable: ``dbt_automl.drift(dbt, session, model, rows, scores)`` is
    the python-model entry point and ``dbt_automl.drift.compare`` the library. One name
    cannot be both a function and a package otherwise: importing the package sets the
    attribute ``drift`` of ``dbt_automl`` to it, over any function of that name."""

    def __call__(
        self,
        dbt: Any,
        session: Any,
        model: duckdb.DuckDBPyRelation,
        rows: duckdb.DuckDBPyRelation,
        scores: duckdb.DuckDBPyRelation | None = None,
    ) -> pa.Table | duckdb.DuckDBPyRelation:
        """The drift table of ``model``'s current version; see :func:`dbt_automl.drift`."""
        from dbt_automl.dbt._drift import drift

        return drift(dbt, session, model, rows, scores)


sys.modules[__name__].__class__ = _DriftModule
