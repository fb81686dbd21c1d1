"""The evaluation table: the current version's test-split curves as one long table.

BigQuery ML has ``ML.CONFUSION_MATRIX`` and ``ML.ROC_CURVE``; here every curve a version
recorded at training (:mod:`dbt_automl.tasks._curves`) and its permutation importances are
rows of one table, read from the version's metadata (the model file is not loaded). Each
row is one point, cell or feature of one ``curve``; the generic columns it fills are listed
in :data:`FILLS` (and in docs/CONTRACTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.dbt._tasks import current_version_dir
from dbt_automl.errors import RegistryError
from dbt_automl.registry import METADATA_FILE, read_metadata

SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("model_version", pa.int32()),
        ("curve", pa.string()),
        ("point", pa.int32()),  # 1-based order within the curve (the chart's order)
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("x_name", pa.string()),
        ("y_name", pa.string()),
        ("threshold", pa.float64()),
        ("actual", pa.string()),
        ("predicted", pa.string()),
        ("feature", pa.string()),
        ("value", pa.float64()),
        ("value_std", pa.float64()),
        ("count", pa.int64()),
    ]
)
SUPERVISED = ("binary", "multiclass", "regression")
RETRAIN = "--vars '{automl_retrain: true}'"
Row = dict[str, Any]


def _roc(points: list[dict[str, Any]]) -> Iterator[Row]:
    for p in points:
        yield {"x": p["fpr"], "y": p["tpr"], "threshold": p["threshold"]}


def _pr(points: list[dict[str, Any]]) -> Iterator[Row]:
    for p in points:
        yield {"x": p["recall"], "y": p["precision"], "threshold": p["threshold"]}


def _calibration(points: list[dict[str, Any]]) -> Iterator[Row]:
    for p in points:
        yield {"x": p["mean_predicted"], "y": p["observed_rate"], "count": p["count"]}


def _residuals(points: list[dict[str, Any]]) -> Iterator[Row]:
    for p in points:
        yield {
            "x": p["mean_prediction"],
            "y": p["mean_residual"],
            "value": p["mean_abs_residual"],
            "count": p["count"],
        }


def _confusion(matrix: dict[str, Any]) -> Iterator[Row]:
    totals: dict[str, int] = {}
    for cell in matrix["cells"]:
        totals[cell["actual"]] = totals.get(cell["actual"], 0) + cell["count"]
    for cell in matrix["cells"]:
        yield {
            "actual": cell["actual"],
            "predicted": cell["predicted"],
            "count": cell["count"],
            "threshold": matrix["threshold"],
            # The share of the actual class's rows: a heatmap's colour, recall on the diagonal.
            "value": cell["count"] / totals[cell["actual"]] if totals[cell["actual"]] else None,
        }


def _distribution(dist: dict[str, Any]) -> Iterator[Row]:
    if dist["kind"] == "class":
        for name, share in zip(dist["classes"], dist["shares"], strict=True):
            yield {"predicted": name, "y": share}
        return
    edges = dist["edges"]
    for i, share in enumerate(dist["shares"]):
        yield {"x": edges[i], "value": edges[i + 1], "y": share}


def _importance(ranked: list[dict[str, Any]]) -> Iterator[Row]:
    for r in ranked:
        yield {"feature": r["column"], "value": r["importance"], "value_std": r["std"]}


# curve name -> (key in metadata decisions, rows of it, x_name, y_name)
FILLS: dict[str, tuple[str, Callable[[Any], Iterator[Row]], str | None, str | None]] = {
    "confusion_matrix": ("confusion_matrix", _confusion, None, None),
    "roc": ("roc_curve", _roc, "false_positive_rate", "true_positive_rate"),
    "pr": ("pr_curve", _pr, "recall", "precision"),
    "calibration": ("calibration_curve", _calibration, "mean_predicted", "observed_rate"),
    "residuals_by_decile": ("residuals_by_decile", _residuals, "mean_prediction", "mean_residual"),
    "prediction_distribution": ("prediction_distribution", _distribution, "bin_from", "share"),
    "importance": ("feature_importance", _importance, None, None),
}
# The curves each task records (a version trained before they existed lacks some).
EXPECTED = {
    "binary": ("confusion_matrix", "roc", "pr", "calibration", "prediction_distribution"),
    "multiclass": ("confusion_matrix", "prediction_distribution"),
    "regression": ("residuals_by_decile", "prediction_distribution"),
}


def evaluation_rows(metadata: dict[str, Any]) -> tuple[list[Row], list[str]]:
    """The evaluation rows of one version's metadata, and the curves it should have but
    does not (recorded before they existed)."""
    decisions = metadata.get("decisions", {})
    head = {"model_name": metadata["model_name"], "model_version": int(metadata["version"])}
    rows: list[Row] = []
    for curve, (key, fill, x_name, y_name) in FILLS.items():
        if not decisions.get(key):
            continue
        for point, row in enumerate(fill(decisions[key]), start=1):
            rows.append(
                {**head, "curve": curve, "point": point, "x_name": x_name, "y_name": y_name, **row}
            )
    found = {row["curve"] for row in rows}
    missing = [c for c in (*EXPECTED[metadata["task"]], "importance") if c not in found]
    return rows, missing


def current_metadata(model: duckdb.DuckDBPyRelation, caller: str) -> dict[str, Any]:
    """The metadata of the version a trained-model table marks current (no model load).

    Raises:
        RegistryError: no current version, or a model of a task without these curves.
    """
    metadata = read_metadata(current_version_dir(model, caller) / METADATA_FILE)
    if metadata["task"] not in SUPERVISED:
        raise RegistryError(
            f"{metadata['model_name']} is a {metadata['task']} model; evaluation() serves "
            "classification and regression models",
            "pass a classification or regression model's trained-model table",
            model=caller,
        )
    return metadata


def evaluation(dbt: Any, session: Any, model: duckdb.DuckDBPyRelation) -> pa.Table:
    """The current version's evaluation on its test split, one row per curve point.

    A version recorded before some curves existed gives the rows it has (its importances,
    its calibration curve) and a warning naming the model, the curves missing and the fix:
    retraining, then promoting the new version. Failing instead would leave the build
    broken until a retrain wins promotion, which the user does not control.
    """
    from dbt_automl.dbt._glue import model_name_of

    caller = model_name_of(dbt)
    metadata = current_metadata(model, caller)
    rows, missing = evaluation_rows(metadata)
    if missing:
        name, version = metadata["model_name"], metadata["version"]
        get_logger().warning(
            f"{caller}: {name} v{version} was trained before these curves were recorded: "
            f"{', '.join(missing)} have no rows. Fix: retrain it (`dbt build --select {name} "
            f"{RETRAIN}`); its curves appear once the new version is current"
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)
