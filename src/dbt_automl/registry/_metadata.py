"""What a registered version records about itself (``metadata.json``)."""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig
    from dbt_automl.engine import TrainResult

LIBRARIES = (
    "dbt-automl",
    "scikit-learn",
    "lightgbm",
    "catboost",
    "optuna",
    "duckdb",
    "pyarrow",
    "pandas",
    "statsforecast",
    "mlforecast",
    "implicit",
)


# Lifecycle settings say when to retrain and promote, not what the model is: changing them
# must not retrain (nor make older versions look trained on other settings).
_NOT_HASHED = frozenset({"retrain", "promotion"})


def config_hash(cfg: Any) -> str:
    """SHA-256 of the model's ``meta.automl`` settings as written (key order ignored),
    lifecycle settings left out; ``cfg`` is any task's validated settings (they all keep
    ``raw``)."""
    settings = {k: v for k, v in cfg.raw.items() if k not in _NOT_HASHED}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def build_metadata(
    cfg: AutomlConfig,
    result: TrainResult,
    types: dict[str, str],
    target_arrow_type: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The metadata of a new version: task, schema, metrics, decisions, trials, provenance.

    Args:
        cfg: the validated settings.
        result: the training run.
        types: DuckDB type name of every column of the training relation.
        target_arrow_type: the target's Arrow type (the prediction column's type).
        data: what the caller knows of the data (rows, sampling, fingerprint).
    """
    return {
        "created_at": datetime.now(UTC).isoformat(),
        "task": result.task.name,
        "target": cfg.target,
        "target_type": types[cfg.target],
        "target_arrow_type": target_arrow_type,
        "metric": result.metric.name,
        "classes": result.target.classes,
        "threshold": result.threshold,
        "id_columns": [{"name": c, "duckdb_type": types[c]} for c in cfg.id_columns],
        "features": result.schema.to_dict(),
        "input_types": {c: types[c] for c in result.schema.names()},
        "data": {**data, "train_rows": result.train_rows, "test_rows": result.test_rows},
        "config": dict(cfg.raw),
        "config_hash": config_hash(cfg),
        "time_budget_s": cfg.time_budget_s,
        "best": _best(result),
        "ensemble": result.ensemble,
        "decisions": result.decisions,
        "metrics": {"test": result.test_metrics},
        "trials": [vars(t) for t in result.search.trials],
        "duration_s": result.duration_s,
        "versions": library_versions(),
    }


def _best(result: TrainResult) -> dict[str, Any]:
    """The chosen model: one family and its parameters, or an ensemble and its members."""
    score = result.decisions["ensemble"]["score"]
    if len(result.ensemble) == 1:
        member = result.ensemble[0]
        return {"family": member["family"], "params": member["params"], "cv_score": score}
    return {"family": "ensemble", "params": {"members": result.ensemble}, "cv_score": score}


def library_versions() -> dict[str, str]:
    """Python's and the main libraries' versions, as installed."""
    import importlib.metadata as md

    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found
