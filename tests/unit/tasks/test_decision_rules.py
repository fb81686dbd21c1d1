"""Decision rules: calibration out of fold and the binary threshold."""

from __future__ import annotations

import numpy as np

from dbt_automl.tasks._calibration import PlattCalibrator, calibration_curve, choose_calibrator
from dbt_automl.tasks._classification import tune_threshold


def test_calibration_fixes_overconfident_probabilities() -> None:
    rng = np.random.default_rng(1)
    p_true = rng.random(5000)
    y = (rng.random(5000) < p_true).astype(int)
    overconfident = np.clip(p_true + 0.4 * (p_true - 0.5) * 2, 0.001, 0.999)
    proba = np.c_[1 - overconfident, overconfident]
    calibrator, evidence = choose_calibrator(PlattCalibrator(), proba, y)
    assert calibrator is not None
    assert evidence["oof_log_loss_after"] < evidence["oof_log_loss_before"]
    curve = calibration_curve(y, calibrator.transform(proba)[:, 1])
    assert all(
        abs(b["mean_predicted"] - b["observed_rate"]) < 0.1 for b in curve if b["count"] > 200
    )


def test_cost_matrix_moves_the_threshold() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(3000) < 0.1).astype(int)
    p = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.2, 3000), 0, 1)
    cheap_misses, _ = tune_threshold(y, p, "roc_auc", {"false_positive": 10, "false_negative": 1})
    costly_misses, why = tune_threshold(
        y, p, "roc_auc", {"false_positive": 1, "false_negative": 50}
    )
    assert costly_misses < cheap_misses
    assert why.startswith("minimum expected cost")
