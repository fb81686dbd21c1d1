"""dbt-automl: AutoML inside the warehouse, the dbt way.

Python models call :func:`train`, then :func:`score` (classification, regression),
:func:`forecast`, :func:`segment` / :func:`segment_profiles`, :func:`detect_anomalies` or
:func:`recommend` by the model's task, :func:`leaderboard`, :func:`evaluation` and
``drift`` (the rows being scored against the training rows, per feature); notebooks and
pipelines use :class:`AutoML` (the scikit-learn contract) or :func:`fit`. Heavy libraries
(scikit-learn, optuna, lightgbm) load on first use, so ``import dbt_automl`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_automl.errors import (
    ChecksumMismatchError,
    ConfigError,
    DbtAutomlError,
    RegistryError,
    SchemaMismatchError,
    TrainingDataError,
)

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb
    import pandas as pd
    import pyarrow as pa

    from dbt_automl._estimator import AutoML

__version__ = "0.1.0"

__all__ = [
    "AutoML",
    "ChecksumMismatchError",
    "ConfigError",
    "DbtAutomlError",
    "RegistryError",
    "SchemaMismatchError",
    "TrainingDataError",
    "__version__",
    "detect_anomalies",
    "drift",
    "evaluation",
    "fit",
    "forecast",
    "leaderboard",
    "recommend",
    "score",
    "segment",
    "segment_profiles",
    "train",
]


def train(
    dbt: Any, session: Any, rows: duckdb.DuckDBPyRelation, config: dict[str, Any] | None
) -> pa.Table:
    """Train a model from a dbt python model; see :func:`dbt_automl.dbt.train`.

    Example::

        def model(dbt, session):
            return dbt_automl.train(dbt, session, dbt.ref("customer_features"),
                                    dbt.config.meta_get("automl"))
    """
    from dbt_automl.dbt import train as _train

    return _train(dbt, session, rows, config)


def score(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    rows: duckdb.DuckDBPyRelation,
    batch_size: int = 50_000,
    lake_path: str | Path | None = None,
    explain: int | None = None,
) -> pa.RecordBatchReader | pa.Table | duckdb.DuckDBPyRelation:
    """Score rows with a trained model's current version; see :func:`dbt_automl.dbt.score`.

    Incremental when the python model is (``materialized='incremental'``, ``unique_key`` =
    the id columns): only new, changed or other-version rows are scored. ``lake_path``
    also writes the scores to the lake as hive-partitioned Parquet. ``explain=N`` (off by
    default; e.g. ``explain=dbt.config.meta_get("explain")``) adds each row's N largest
    input-column contributions (``top_feature_<k>``, ``top_contribution_<k>``) and their
    ``contribution_baseline``, in log-odds (classification) or the target's units.

    Example::

        def model(dbt, session):
            return dbt_automl.score(dbt, session, model=dbt.ref("churn_model"),
                                    rows=dbt.ref("customer_features"))
    """
    from dbt_automl.dbt import score as _score

    return _score(dbt, session, model, rows, batch_size, lake_path, explain)


def forecast(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    future: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table:
    """The forecast table of a forecasting model's current version (``task: forecasting``):
    one row per series and future period, with intervals; ``future`` holds the known
    covariates of the future periods.

    Example::

        def model(dbt, session):
            return dbt_automl.forecast(dbt, session, model=dbt.ref("sales_forecast_model"),
                                       future=dbt.ref("branch_sales_future_covariates"))
    """
    from dbt_automl.dbt._forecast import forecast as _forecast

    return _forecast(dbt, session, model, future)


def segment(
    dbt: Any, session: Any, model: duckdb.DuckDBPyRelation, rows: duckdb.DuckDBPyRelation
) -> pa.Table:
    """Assign rows to the segments of a clustering model's current version
    (``task: clustering``): one row per entity with its segment id (stable across
    retrains), label, distance to the segment's centre and membership probability.

    Example::

        def model(dbt, session):
            return dbt_automl.segment(dbt, session, model=dbt.ref("customer_segment_model"),
                                      rows=dbt.ref("customer_segment_features"))
    """
    from dbt_automl.dbt._segments import segment as _segment

    return _segment(dbt, session, model, rows)


def segment_profiles(dbt: Any, session: Any, model: duckdb.DuckDBPyRelation) -> pa.Table:
    """One row per segment of a clustering model's current version: size, share, label and
    the features that set it apart most (standardised difference from all rows).

    Example::

        def model(dbt, session):
            return dbt_automl.segment_profiles(dbt, session, dbt.ref("customer_segment_model"))
    """
    from dbt_automl.dbt._segments import segment_profiles as _profiles

    return _profiles(dbt, session, model)


def detect_anomalies(
    dbt: Any, session: Any, model: duckdb.DuckDBPyRelation, rows: duckdb.DuckDBPyRelation
) -> pa.Table:
    """Score rows with an anomaly model's current version (``task: anomaly``): one row per
    input row with ``anomaly_score`` in [0, 1] (the share of training rows less unusual)
    and the ``is_anomaly`` flag.

    Example::

        def model(dbt, session):
            return dbt_automl.detect_anomalies(dbt, session,
                                               model=dbt.ref("terminal_anomaly_model"),
                                               rows=dbt.ref("terminal_daily_features"))
    """
    from dbt_automl.dbt._anomaly import detect_anomalies as _detect

    return _detect(dbt, session, model, rows)


def recommend(
    dbt: Any,
    session: Any,
    model: duckdb.DuckDBPyRelation,
    users: duckdb.DuckDBPyRelation | None = None,
    catalogue: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table:
    """Top-N items per user from a recommendation model's current version
    (``task: recommendation``), without what each user already has; users unseen in
    training get the popular items (``source = 'popular'``). ``catalogue`` holds the items
    still offered.

    Example::

        def model(dbt, session):
            return dbt_automl.recommend(dbt, session, model=dbt.ref("card_offer_model"))
    """
    from dbt_automl.dbt._recommend import recommend as _recommend

    return _recommend(dbt, session, model, users, catalogue)


def leaderboard(dbt: Any, session: Any, model: duckdb.DuckDBPyRelation) -> pa.Table:
    """Every search trial of every version of a trained model, one row each.

    Example::

        def model(dbt, session):
            return dbt_automl.leaderboard(dbt, session, dbt.ref("churn_model"))
    """
    from dbt_automl.dbt import leaderboard as _leaderboard

    return _leaderboard(model)


def evaluation(dbt: Any, session: Any, model: duckdb.DuckDBPyRelation) -> pa.Table:
    """The current version's evaluation on its test split as one long table (BigQuery's
    ``ML.CONFUSION_MATRIX`` / ``ML.ROC_CURVE``): one row per point of each ``curve``
    (confusion_matrix, roc, pr, calibration, residuals_by_decile,
    prediction_distribution, importance). Reads metadata only.

    Example::

        def model(dbt, session):
            return dbt_automl.evaluation(dbt, session, dbt.ref("churn_model"))
    """
    from dbt_automl.dbt._evaluation import evaluation as _evaluation

    return _evaluation(dbt, session, model)


def fit(data: pd.DataFrame | pa.Table, settings: dict[str, Any], name: str = "model") -> AutoML:
    """Train outside dbt on a table with the settings ``meta.automl`` would hold; returns a
    fitted :class:`AutoML`.

    Example::

        fitted = dbt_automl.fit(frame, {"target": "churned", "time_budget_s": 30})
        fitted.predict(new_rows)
    """
    from dbt_automl._estimator import fit as _fit

    return _fit(data, settings, name)


def __getattr__(name: str) -> Any:
    # AutoML is imported on first use: it pulls in scikit-learn.
    if name == "AutoML":
        from dbt_automl._estimator import AutoML

        return AutoML
    # `drift` is a callable package: dbt_automl.drift(dbt, session, model=..., rows=...,
    # scores=...) returns a model's drift table (one row per feature: PSI, unseen share,
    # null rates, level), and dbt_automl.drift.compare / training_profile are the library.
    if name == "drift":
        import importlib

        return importlib.import_module("dbt_automl.drift")
    raise AttributeError(f"module 'dbt_automl' has no attribute {name!r}")
