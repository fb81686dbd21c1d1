"""The demo's closing report: what was trained, how well, and where everything is."""

from __future__ import annotations

from pathlib import Path

import duckdb

METRIC_COLUMNS = (
    "test_roc_auc",
    "test_pr_auc",
    "test_f1",
    "test_rmse",
    "test_r2",
    # forecasting: the backtest
    "test_mase",
    "test_relative_mase",
    "test_coverage_80",
    # clustering
    "test_silhouette",
    "test_kept_share",
    # anomaly detection (precision and ROC AUC where labels exist)
    "test_flag_rate",
    "test_precision_at_flagged",
    # recommendations, next to popularity on the same holdout
    "test_precision_at_n",
    "test_popularity_precision_at_n",
)
# What made the model, by task: the family (supervised, clustering, anomaly), the
# candidates combined (forecasting) or the candidate chosen (recommendations).
MADE_BY = ("family", "members", "candidate")


def _model_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    # A trained-model table is recognised by its columns, whatever the user named it.
    rows = con.sql(
        """select table_name from information_schema.columns
           where column_name in ('is_current', 'artifact_path', 'sha256')
           group by table_name having count(*) = 3 order by table_name"""
    ).fetchall()
    return [r[0] for r in rows]


def _score_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    # An output table names the version that made each row: predictions, forecasts,
    # segments, anomaly scores, recommendations.
    rows = con.sql(
        """select table_name from information_schema.columns
           where column_name in ('model_name', 'model_version')
           group by table_name having count(*) = 2 order by table_name"""
    ).fetchall()
    return [(r[0], con.sql(f'select count(*) from "{r[0]}"').fetchall()[0][0]) for r in rows]


def summarize(warehouse: Path, registry: Path, docs: Path | None = None) -> str:
    """A plain-text report of every trained model and prediction table in ``warehouse``."""
    lines = [f"warehouse: {warehouse.resolve()}", f"registry:  {registry.resolve()}"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in _model_tables(con):
            line = _model_line(con, table)
            if line:
                lines.append(line)
        for table, count in _score_tables(con):
            lines.append(f"output {table}: {count} rows (select * from {table})")
    if docs is not None and docs.exists():
        lines.append(f"docs: {docs.resolve()} (or `dbt docs serve`)")
    return "\n".join(lines)


def _model_line(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """``model <name> v<N>: <family>, <metrics> (<seconds>s)`` for the current version."""
    present = set(con.table(table).columns)
    shown = [c for c in METRIC_COLUMNS if c in present]  # each task has its own metrics
    made_by = next((c for c in MADE_BY if c in present), "task")
    cols = ", ".join(("model_name", "version", made_by, "duration_s", *shown))
    row = con.sql(f'select {cols} from "{table}" where is_current').fetchall()
    if not row:
        return None
    name, version, family, duration, *values = row[0]
    metrics = ", ".join(
        f"{c[5:]}={v:.3f}" for c, v in zip(shown, values, strict=True) if v is not None
    )
    return f"model {name} v{version}: {family}, {metrics} ({duration:.0f}s)"
