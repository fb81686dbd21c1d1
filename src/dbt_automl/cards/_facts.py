"""The card's text sections from a version's metadata, for every task kind.

Each task records the same ideas under its own keys (metrics under ``test``, ``backtest``
or ``train``; the search as ``trials`` or a ``leaderboard``; the choice as ``best``,
``strategy``, ``detector``, ``candidate`` or ``k``). These functions read them all; a key
an older version lacks is skipped, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dbt_automl.cards._doc import Block, Section, Table
from dbt_automl.cards._thresholds import Threshold

SUPERVISED = ("binary", "multiclass", "regression")
# Metric splits in the order a task records them, with how the card names them.
SPLITS = {
    "test": "the held-out test split the search never saw",
    "backtest": "the rolling-origin backtest (windows held out one by one)",
    "train": "the training rows (no label to hold out)",
}
LOWER_IS_BETTER = {"bic", "backtest_mase", "mase", "rmse", "mae", "smape", "log_loss"}
TOP = 10
# Decisions shown elsewhere in the card (plots, tables) or too large for a bullet.
SHOWN_ELSEWHERE = {
    "calibration_curve",
    "roc_curve",
    "pr_curve",
    "roc",
    "pr",
    "confusion_matrix",
    "residuals_by_decile",
    "prediction_distribution",
    "feature_importance",
    "preprocessing",
    "features",
    "threshold",
    "ensemble",
    "feature_selection",
    "explanation_reference",  # the training means explanations start from: data, not a choice
}


def compact(value: Any, limit: int = 160) -> str:
    """A value as short text: numbers to 4 significant digits, the rest as JSON."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(_rounded(value), default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rounded(value: Any) -> Any:
    """Floats inside lists and mappings to 4 significant digits (for reading, not reuse)."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, Mapping):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def metrics_of(meta: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The split the version's metrics were measured on, and the metrics."""
    recorded = meta.get("metrics") or {}
    for split in SPLITS:
        if isinstance(recorded.get(split), Mapping):
            return split, dict(recorded[split])
    return "test", {}


def overview(meta: Mapping[str, Any]) -> Section:
    """Task, target, metric, when and how long, settings, library versions."""
    versions = meta.get("versions") or {}
    rows = [
        ["task", str(meta.get("task"))],
        ["target", str(meta.get("target") or "none (unsupervised)")],
        ["metric", str(meta.get("metric"))],
        ["trained at", str(meta.get("created_at"))],
        ["training time", f"{float(meta.get('duration_s') or 0):.1f} s"],
        ["time budget", f"{meta.get('time_budget_s')} s"],
        ["settings (meta.automl)", compact(meta.get("config"), 400)],
        ["dbt-automl", str(versions.get("dbt-automl"))],
        ["model file SHA-256", str((meta.get("artifact") or {}).get("sha256"))],
    ]
    return Section("overview", "Overview", [Table(["", ""], rows)])


def data(meta: Mapping[str, Any]) -> Section:
    """Rows (all, trained on, held out), sampling, date range, fingerprint, features."""
    recorded = meta.get("data") or {}
    names = {
        "rows": "rows in the training relation",
        "loaded_rows": "rows loaded (after sampling and target nulls)",
        "train_rows": "rows trained on",
        "test_rows": "rows held out for the test split",
        "sampled": "sampled",
    }
    rows = [[label, compact(recorded[key])] for key, label in names.items() if key in recorded]
    span = date_range(meta)
    if span:
        rows.append(["date range", span])
    rows.append(["data fingerprint", str(recorded.get("fingerprint"))])
    features = feature_names(meta)
    if features:
        rows.append([f"features ({len(features)})", ", ".join(features)])
    return Section("data", "Data", [Table(["", ""], rows)])


def date_range(meta: Mapping[str, Any]) -> str | None:
    """The training rows' first and last time, when the version knows its time column:
    the column's ``min`` / ``max`` in the training profile, else (forecasting) the last
    period of the history."""
    column = meta.get("time_column")
    profile = meta.get("profile") or {}
    entries = [*profile.get("columns", []), *profile.get("skipped", [])] if column else []
    for entry in entries:
        if entry.get("name") == column and entry.get("min") is not None:
            return f"{entry['min']} to {entry.get('max')} ({column})"
    if meta.get("last_period"):
        return f"up to {meta['last_period']} ({column}, frequency {meta.get('frequency')})"
    if column:
        return f"not recorded (time column {column})"
    return None


def feature_names(meta: Mapping[str, Any]) -> list[str]:
    """The input columns the version uses."""
    found = meta.get("features")
    if isinstance(found, Mapping):
        return [str(c["name"]) for c in found.get("columns", [])]
    if isinstance(found, list):
        return [str(f) for f in found]
    nested = (meta.get("decisions") or {}).get("features")
    if isinstance(nested, Mapping):
        return [str(c["name"]) for c in nested.get("columns", [])]
    return []


def metrics(meta: Mapping[str, Any], bounds: list[Threshold], tests_known: bool) -> Section:
    """Every recorded metric next to the dbt test bound on it, if any, and whether the
    value meets it."""
    split, values = metrics_of(meta)
    by_metric: dict[str, list[Threshold]] = {}
    for bound in bounds:
        by_metric.setdefault(bound.metric, []).append(bound)
    rows = []
    for name, value in values.items():
        checks = by_metric.pop(name, [])
        rows.append([name, compact(value), *_bound_cells(checks)])
    for name, checks in by_metric.items():  # a test on a metric this version lacks
        rows.append([name, "not recorded", *_bound_cells(checks)])
    blocks: list[Block] = [f"Measured on {SPLITS[split]}."]
    if not tests_known:
        blocks.append("No dbt manifest was found, so the tests' thresholds are not shown.")
    blocks.append(Table(["metric", "value", "dbt test threshold", "meets it"], rows))
    return Section("metrics", "Metrics", blocks)


def _bound_cells(checks: list[Threshold]) -> list[str]:
    if not checks:
        return ["no threshold", ""]
    rules = "; ".join(f"{c.rule} ({c.test})" for c in checks)
    verdicts = {True: "yes", False: "NO", None: "unknown"}
    return [rules, ", ".join(verdicts[c.passed] for c in checks)]


def leaderboard(meta: Mapping[str, Any]) -> Section:
    """The search's best trials (supervised) or the candidates' table (other tasks)."""
    if meta.get("task") in SUPERVISED:
        return Section("leaderboard", "Leaderboard", [_trials(meta)])
    board = [r for r in meta.get("leaderboard") or [] if isinstance(r, Mapping)]
    if not board:
        return Section("leaderboard", "Leaderboard", ["This version recorded no leaderboard."])
    key = _sort_key(meta, board[0])
    if key is not None:
        sign = 1 if key in LOWER_IS_BETTER else -1
        board = sorted(board, key=lambda r: sign * _number(r.get(key), sign))
    headers = list(board[0])
    rows = [[compact(r.get(h), 60) for h in headers] for r in board[:TOP]]
    note = f"Top {min(TOP, len(board))} of {len(board)}" + (f", by {key}." if key else ".")
    return Section("leaderboard", "Leaderboard", [note, Table(headers, rows)])


def _trials(meta: Mapping[str, Any]) -> Table | str:
    trials = [t for t in meta.get("trials") or [] if t.get("score") is not None]
    if not trials:
        return "This version recorded no completed trial."
    sign = -1 if _greater_is_better(meta) else 1
    weights = {m.get("trial"): m.get("weight") for m in meta.get("ensemble") or []}
    ranked = sorted(trials, key=lambda t: sign * float(t["score"]))[:TOP]
    rows = [
        [
            str(rank),
            str(t.get("number")),
            str(t.get("family")),
            compact(t["score"]),
            f"{float(t.get('fit_s') or 0):.2f}",
            compact(weights.get(t.get("number"), "")),
            compact(t.get("params"), 90),
        ]
        for rank, t in enumerate(ranked, start=1)
    ]
    headers = ["rank", "trial", "family", f"validation {meta.get('metric')}", "fit s"]
    return Table([*headers, "ensemble weight", "params"], rows)


def _greater_is_better(meta: Mapping[str, Any]) -> bool:
    try:
        from dbt_automl.tasks import task_named

        return task_named(str(meta["task"])).metrics[str(meta["metric"])].greater_is_better
    except (KeyError, ImportError):
        return str(meta.get("metric")) not in LOWER_IS_BETTER


def _sort_key(meta: Mapping[str, Any], first: Mapping[str, Any]) -> str | None:
    for key in (meta.get("metric"), f"backtest_{meta.get('metric')}", "roc_auc"):
        if key in first:
            return str(key)
    return None


def _number(value: Any, sign: int) -> float:
    """A sortable number; a missing value sorts last."""
    return float(value) if isinstance(value, int | float) else sign * float("inf")
