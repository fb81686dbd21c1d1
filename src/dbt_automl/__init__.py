"""dbt-automl: AutoML inside the warehouse, the dbt way.

Python models call :func:`train` and :func:`score`; everything else is an implementation
detail. Heavy libraries (scikit-learn, optuna, lightgbm) load on first use so that
``import dbt_automl`` stays fast.
"""

from __future__ import annotations

from dbt_automl._errors import (
    ChecksumMismatchError,
    ConfigError,
    DbtAutomlError,
    RegistryError,
    SchemaMismatchError,
    TrainingDataError,
)

__version__ = "0.1.0"

__all__ = [
    "ChecksumMismatchError",
    "ConfigError",
    "DbtAutomlError",
    "RegistryError",
    "SchemaMismatchError",
    "TrainingDataError",
    "__version__",
]
