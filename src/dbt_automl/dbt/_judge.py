"""A supervised challenger against the champion, on the same held-out rows, fairly.

The challenger's test split is rows it never saw. The champion may have seen some of them
(a full refit trains on every row; older data stays in the table), and a model scored on
rows it learned from looks better than it is: a champion judged that way would never be
replaced. So each version registers the keys of the rows it trained on (``rows.npy``), and
the champion is judged on the challenger's test rows it never saw either, against the
challenger's predictions on those very rows. When too few such rows exist (the data did not
change, only the settings), both are compared by the test metric each recorded on its own
test split, which is the same split when the data and the split settings are unchanged.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from dbt_automl._log import get_logger
from dbt_automl.errors import DbtAutomlError
from dbt_automl.lifecycle import Scores
from dbt_automl.registry import ModelVersion, read_extra
from dbt_automl.scoring import Scorer, check_rows

if TYPE_CHECKING:
    from dbt_automl.engine import TrainResult

ROWS_FILE = "rows.npy"
MIN_JUDGE_ROWS = 30  # fewer unseen rows than this measure noise, not the models
_SPLIT_KEYS = ("seed", "test_size", "time_column", "group_column")


def row_keys(table: pa.Table, id_columns: list[str]) -> np.ndarray:
    """A 64-bit hash per row of its id columns (of every column when it has none)."""
    columns = id_columns or table.column_names
    names = ", ".join(f'"{c}"' for c in columns)
    con = duckdb.connect()
    try:
        con.register("rows_in", table.select(columns))
        found = con.sql(f"select hash({names}) as k from rows_in").fetchnumpy()["k"]
    finally:
        con.close()
    return np.asarray(found, dtype=np.uint64)


def trained_rows_file(table: pa.Table, result: TrainResult, id_columns: list[str]) -> bytes:
    """``rows.npy``: the sorted keys of the rows the final model trained on (every row after
    a full refit, else the rows outside the test split)."""
    keys = row_keys(table, id_columns)
    if not result.decisions.get("trained_on_test_rows") and result.test_table is not None:
        keys = np.setdiff1d(keys, row_keys(result.test_table, id_columns))
    buffer = io.BytesIO()
    np.save(buffer, np.unique(keys), allow_pickle=False)
    return buffer.getvalue()


def trained_keys(version: ModelVersion) -> np.ndarray | None:
    """The keys ``rows.npy`` holds (checksum verified), or None when the version kept none.

    Raises:
        ChecksumMismatchError: the file changed since it was registered.
    """
    content = read_extra(version, ROWS_FILE)
    return None if content is None else np.load(io.BytesIO(content), allow_pickle=False)


def same_rows_scores(
    result: TrainResult,
    id_columns: list[str],
    split: dict[str, Any],
    champion: ModelVersion | None,
) -> Scores:
    """The challenger's and the champion's metric on the test rows neither trained on, or
    the metrics they recorded when there are too few such rows (see the module's text).

    ``split`` is this run's data fingerprint (``fingerprint``) and split settings.
    """
    metric = result.metric
    recorded = result.test_metrics.get(metric.name)
    if champion is None:
        return Scores(metric.name, recorded, None, metric.greater_is_better)
    try:
        fair = _on_unseen_rows(result, id_columns, champion)
    except (DbtAutomlError, ValueError) as exc:
        get_logger().warning(f"{champion.model_name}: v{champion.version} not scored: {exc}")
        return Scores(metric.name, recorded, None, metric.greater_is_better)
    if fair is not None:
        return fair
    theirs = champion.metadata.get("metrics", {}).get("test", {}).get(metric.name)
    return Scores(
        metric.name,
        recorded,
        None if theirs is None else float(theirs),
        metric.greater_is_better,
        same_rows=_same_split(split, champion),
    )


def _on_unseen_rows(
    result: TrainResult, id_columns: list[str], champion: ModelVersion
) -> Scores | None:
    seen = trained_keys(champion)
    if seen is None or result.test_table is None or result.test_raw is None:
        return None
    unseen = ~np.isin(row_keys(result.test_table, id_columns), seen)
    if unseen.sum() < MIN_JUDGE_ROWS:
        return None
    rows = result.test_table.filter(pa.array(unseen))
    scorer = Scorer.load(champion.path)
    check_rows(scorer.metadata, rows.schema, champion.model_name)
    y = _their_encoding(result, scorer, result.test_y[unseen])  # type: ignore[index]
    if y is None:
        return None
    metric, threshold = result.metric, _threshold(result.threshold)
    challenger = metric.fn(result.test_y[unseen], result.test_raw[unseen], threshold)  # type: ignore[index]
    champion_score = metric.fn(y, scorer.raw(rows), _threshold(scorer.model.threshold))
    return Scores(metric.name, float(challenger), float(champion_score), metric.greater_is_better)


def _their_encoding(result: TrainResult, scorer: Scorer, y: np.ndarray) -> np.ndarray | None:
    """The encoded labels as the champion's classes number them (None: a class it lacks)."""
    if result.target.classes is None:
        return y
    theirs = {c: i for i, c in enumerate(scorer.model.classes or [])}
    labels = [result.target.classes[i] for i in y]
    if any(label not in theirs for label in labels):
        return None
    return np.array([theirs[label] for label in labels])


def split_of(data_fingerprint: str, raw: dict[str, Any]) -> dict[str, Any]:
    """What decides a test split: the data and the split settings."""
    return {"fingerprint": data_fingerprint, **{k: raw.get(k) for k in _SPLIT_KEYS}}


def _same_split(split: dict[str, Any], champion: ModelVersion) -> bool:
    """Whether the champion's test split was this one: same data, same split settings."""
    meta: dict[str, Any] = champion.metadata
    return split_of(meta["data"]["fingerprint"], meta["config"]) == split


def _threshold(value: float | None) -> float:
    return 0.5 if value is None else value
