"""Tasks: which task a target serves, how it is encoded, what each task outputs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dbt_automl import ConfigError, TrainingDataError
from dbt_automl.config import parse_config
from dbt_automl.tasks import (
    TASKS,
    BinaryClassification,
    MulticlassClassification,
    Regression,
    resolve,
)


def _resolve(values: list, **settings: object) -> tuple:
    cfg = parse_config({"target": "label", **settings}, "churn_model")
    return resolve(pa.chunked_array([values]), cfg)


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([True, False] * 10, BinaryClassification),
        (["a", "b", "c"] * 10, MulticlassClassification),
        ([0.5, 1.5, 2.5] * 10, Regression),
        (list(range(30)), Regression),  # integers with many values are a quantity
        ([1, 2, 3] * 10, MulticlassClassification),  # ... with few, classes
    ],
)
def test_the_target_decides_the_task(values: list, task: type) -> None:
    assert type(_resolve(values)[0]) is task


def test_binary_puts_the_rarer_class_last_unless_told() -> None:
    values = ["stayed"] * 15 + ["left"] * 5
    task, target = _resolve(values)
    assert target.classes == ["stayed", "left"] and target.y.sum() == 5
    _, told = _resolve(values, positive_class="stayed")
    assert told.classes == ["left", "stayed"]


def test_a_class_too_rare_to_split_is_left_out_and_named() -> None:
    values = ["a"] * 10 + ["b"] * 10 + ["c"] * 10 + ["rare"]
    task, target = _resolve(values)
    # Three classes remain: still multiclass, and the rare row is not among the kept rows.
    assert type(task) is MulticlassClassification
    assert target.classes == ["a", "b", "c"] and target.dropped == {"rare": 1}
    assert list(target.rows) == list(range(30))


def test_a_binary_target_with_a_single_row_class_is_refused_with_the_class_and_fix() -> None:
    with pytest.raises(TrainingDataError) as err:
        _resolve([False] * 30 + [True])
    text = str(err.value)
    assert "model churn_model, column 'label'" in text and "True (1 rows)" in text
    assert "Fix: add labelled rows" in text


def test_a_regression_target_with_infinity_is_refused() -> None:
    with pytest.raises(TrainingDataError, match=r"column 'label'.*10 NaN or infinite.*Fix:"):
        _resolve([1.0, 2.0, float("inf")] * 10 + [3.0], task="regression")


def test_a_metric_of_another_task_names_the_key_and_the_choices() -> None:
    cfg = parse_config({"target": "label", "metric": "rmse"}, "churn_model")
    with pytest.raises(ConfigError, match=r"meta.automl.metric: 'rmse' is not a binary metric"):
        BinaryClassification().metric(cfg.metric, cfg)


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("binary", ["prediction", "probability", "probabilities"]),
        ("multiclass", ["prediction", "probabilities"]),
        ("regression", ["prediction"]),
    ],
)
def test_each_task_owns_its_prediction_columns(name: str, columns: list[str]) -> None:
    task = TASKS[name]()
    fields = task.prediction_fields(pa.string())
    assert [f.name for f in fields] == columns
    raw = np.array([[0.2, 0.8], [0.7, 0.3]]) if name == "binary" else np.array([1.5, 2.5])
    if name == "multiclass":
        raw = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    classes = ["a", "b", "c"][: raw.shape[1]] if raw.ndim == 2 else None
    arrays = task.prediction_arrays(raw, classes, 0.5, fields)
    assert arrays[0].to_pylist() == list(task.labels(raw, classes, 0.5))
    assert [len(a) for a in arrays] == [2] * len(columns)
    assert pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields)).num_rows == 2


def test_tasks_are_values_that_pickle() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(BinaryClassification())) == BinaryClassification()
    assert BinaryClassification() != MulticlassClassification()
