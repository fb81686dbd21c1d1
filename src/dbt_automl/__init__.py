"""dbt-automl: AutoML inside the warehouse, the dbt way.

Python models call :func:`train` and :func:`score`; everything else is an implementation
detail. Heavy libraries (scikit-learn, optuna, lightgbm) load on first use so that
``import dbt_automl`` stays fast.
"""

from __future__ import annotations

from typing import Any

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
    "fit",
    "leaderboard",
    "score",
    "train",
]


def train(dbt: Any, session: Any, rows: Any, config: dict | None) -> Any:
    """Train a model from a dbt python model; see :func:`dbt_automl._dbt.train`.

    Example::

        def model(dbt, session):
            return dbt_automl.train(dbt, session, dbt.ref("customer_features"),
                                    dbt.config.meta_get("automl"))
    """
    from dbt_automl._dbt import train as _train

    return _train(dbt, session, rows, config)


def score(dbt: Any, session: Any, model: Any, rows: Any, batch_size: int = 50_000) -> Any:
    """Score rows with a trained model's current version; see :func:`dbt_automl._dbt.score`.

    Example::

        def model(dbt, session):
            return dbt_automl.score(dbt, session, model=dbt.ref("churn_model"),
                                    rows=dbt.ref("customer_features"))
    """
    from dbt_automl._dbt import score as _score

    return _score(dbt, session, model, rows, batch_size)


def fit(data: Any, settings: dict, name: str = "model") -> Any:
    """Train outside dbt on a pandas DataFrame or Arrow table; see :func:`dbt_automl._fit.fit`.

    Example::

        fitted = dbt_automl.fit(frame, {"target": "churned", "time_budget_s": 30})
        fitted.predict(new_rows)
    """
    from dbt_automl._fit import fit as _fit

    return _fit(data, settings, name)


def leaderboard(dbt: Any, session: Any, model: Any) -> Any:
    """Every search trial of every version of a trained model, one row each.

    Example::

        def model(dbt, session):
            return dbt_automl.leaderboard(dbt, session, dbt.ref("churn_model"))
    """
    from dbt_automl._leaderboard import leaderboard as _leaderboard

    return _leaderboard(model)
