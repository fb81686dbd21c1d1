"""The evaluation curves each task records from its test predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dbt_automl.tasks import BinaryClassification, MulticlassClassification, Regression
from dbt_automl.tasks._curves import MAX_POINTS, histogram, shares_at


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(3000) < 0.2).astype(int)
    p = 1 / (1 + np.exp(-(2.0 * y - 1.5 + rng.normal(0, 1, len(y)))))
    return y, np.column_stack([1 - p, p])


def test_binary_curves_hold_every_kind_within_the_point_budget(binary) -> None:
    y, raw = binary
    curves = BinaryClassification().curves(y, raw, 0.4, [False, True])
    assert 10 < len(curves["roc_curve"]) <= MAX_POINTS
    assert 10 < len(curves["pr_curve"]) <= MAX_POINTS
    roc = curves["roc_curve"]
    assert (roc[0]["fpr"], roc[0]["tpr"]) == (0.0, 0.0) and roc[0]["threshold"] is None
    assert (roc[-1]["fpr"], roc[-1]["tpr"]) == (1.0, 1.0)
    assert all(a["fpr"] <= b["fpr"] for a, b in zip(roc, roc[1:], strict=False))
    recalls = [p["recall"] for p in curves["pr_curve"]]
    assert recalls == sorted(recalls) and recalls[0] == 0.0 and recalls[-1] == 1.0
    json.dumps(curves, allow_nan=False)  # the metadata file is strict JSON


def test_binary_confusion_matrix_is_at_the_chosen_threshold(binary) -> None:
    y, raw = binary
    cells = BinaryClassification().curves(y, raw, 0.4, [False, True])["confusion_matrix"]
    assert cells["threshold"] == 0.4
    counts = {(c["actual"], c["predicted"]): c["count"] for c in cells["cells"]}
    assert sum(counts.values()) == len(y)
    assert counts[("true", "true")] == int(((raw[:, 1] >= 0.4) & (y == 1)).sum())
    assert counts[("false", "true")] == int(((raw[:, 1] >= 0.4) & (y == 0)).sum())


def test_prediction_distribution_bins_the_probabilities_at_deciles(binary) -> None:
    y, raw = binary
    dist = BinaryClassification().curves(y, raw, 0.5, [0, 1])["prediction_distribution"]
    assert dist["kind"] == "probability"
    assert dist["edges"][0] == 0.0 and dist["edges"][-1] == 1.0
    assert len(dist["edges"]) == len(dist["shares"]) + 1
    assert sum(dist["shares"]) == pytest.approx(1.0)
    assert max(dist["shares"]) < 0.2  # deciles, not equal widths: no bin holds most rows


def test_histogram_of_a_constant_has_one_bin() -> None:
    dist = histogram(np.full(50, 3.0), "value", 3.0, 3.0)
    assert dist == {"kind": "value", "edges": [3.0, 4.0], "shares": [1.0]}


def test_multiclass_records_the_argmax_confusion_matrix_and_class_shares() -> None:
    y = np.array([0, 1, 2, 2, 1, 0])
    raw = np.eye(3)[[0, 1, 1, 2, 1, 2]] * 0.7 + 0.1
    curves = MulticlassClassification().curves(y, raw, None, ["a", "b", "c"])
    matrix = curves["confusion_matrix"]["cells"]
    cells = {(c["actual"], c["predicted"]): c["count"] for c in matrix}
    assert len(cells) == 9 and cells[("c", "b")] == 1 and cells[("a", "c")] == 1
    assert curves["prediction_distribution"] == {
        "kind": "class",
        "classes": ["a", "b", "c"],
        "shares": pytest.approx([1 / 6, 3 / 6, 2 / 6]),
    }


def test_regression_residuals_by_decile_say_where_the_model_is_biased() -> None:
    rng = np.random.default_rng(1)
    predicted = rng.normal(size=1000)
    y = predicted + np.where(predicted > np.quantile(predicted, 0.9), 1.0, 0.0)
    curves = Regression().curves(y, predicted)
    deciles = curves["residuals_by_decile"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["count"] for d in deciles) == 1000
    assert deciles[-1]["mean_residual"] == pytest.approx(1.0)
    assert deciles[0]["mean_abs_residual"] == pytest.approx(0.0)
    dist = curves["prediction_distribution"]
    assert dist["kind"] == "value" and dist["edges"][0] == predicted.min()
    assert sum(dist["shares"]) == pytest.approx(1.0)


def test_new_predictions_are_binned_in_a_recorded_distribution_bins() -> None:
    # Values past the outer edges count in the outer bins, as drift bins scores.
    value = {"kind": "value", "edges": [1.0, 2.0, 3.0], "shares": [0.5, 0.5]}
    assert shares_at(value, np.array([0.0, 1.5, 2.0, 9.0])) == [0.5, 0.5]
    probability = {"kind": "probability", "edges": [0.0, 0.2, 1.0], "shares": [0.5, 0.5]}
    raw = np.array([[0.9, 0.1], [0.8, 0.2], [0.0, 1.0], [0.7, 0.3]])
    assert shares_at(probability, raw) == [0.25, 0.75]
    classes = {"kind": "class", "classes": ["a", "b", "c"], "shares": [0.2, 0.3, 0.5]}
    assert shares_at(classes, np.eye(3)[[2, 2, 0, 2]]) == [0.25, 0.0, 0.75]


def test_the_test_predictions_binned_again_give_the_recorded_shares(binary) -> None:
    y, raw = binary
    dist = BinaryClassification().curves(y, raw, 0.5, [0, 1])["prediction_distribution"]
    assert shares_at(dist, raw) == pytest.approx(dist["shares"])
