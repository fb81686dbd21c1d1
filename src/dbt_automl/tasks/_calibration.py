"""Probability calibration fitted on out-of-fold predictions, and the calibration curve."""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_GAIN = 0.01  # calibrate only when out-of-fold log loss improves by at least 1 %
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


class PlattCalibrator:
    """Binary: a logistic regression on the logit of the positive-class probability."""

    def fit(self, proba: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        """Learn slope and intercept on (out-of-fold) probabilities."""
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression(C=1e4).fit(_logit(proba[:, 1]).reshape(-1, 1), y)
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape."""
        return self.model_.predict_proba(_logit(proba[:, 1]).reshape(-1, 1))


class TemperatureCalibrator:
    """Multiclass: one temperature dividing the log-probabilities (keeps the argmax)."""

    def fit(self, proba: np.ndarray, y: np.ndarray) -> TemperatureCalibrator:
        """Find the temperature minimising log loss."""
        from scipy.optimize import minimize_scalar
        from sklearn.metrics import log_loss

        logp = np.log(np.clip(proba, EPS, 1))
        labels = np.arange(proba.shape[1])
        result = minimize_scalar(
            lambda t: log_loss(y, _softmax(logp / t), labels=labels),
            bounds=(0.05, 20.0),
            method="bounded",
        )
        self.temperature_ = float(result.x)
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Probabilities at the learned temperature."""
        return _softmax(np.log(np.clip(proba, EPS, 1)) / self.temperature_)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


Calibrator = PlattCalibrator | TemperatureCalibrator


def choose_calibrator(
    calibrator: Calibrator, proba: np.ndarray, y: np.ndarray
) -> tuple[Calibrator | None, dict[str, Any]]:
    """``calibrator`` fitted out of fold when it improves log loss by MIN_GAIN, with the
    evidence; None when it does not."""
    from sklearn.metrics import log_loss

    if len(np.unique(y)) < 2:
        return None, {"method": "none"}
    labels = np.arange(proba.shape[1])
    clipped = np.clip(proba, EPS, 1)
    before = log_loss(y, clipped / clipped.sum(axis=1, keepdims=True), labels=labels)
    calibrator.fit(proba, y)
    after = log_loss(y, calibrator.transform(proba), labels=labels)
    evidence = {"oof_log_loss_before": float(before), "oof_log_loss_after": float(after)}
    if after < before * (1 - MIN_GAIN):
        return calibrator, {"method": type(calibrator).__name__, **evidence}
    return None, {"method": "none", **evidence}


def calibration_curve(y: np.ndarray, p_pos: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Mean predicted vs observed positive rate per probability bin (for the model card)."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p_pos, edges[1:-1]), 0, bins - 1)
    curve = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            curve.append(
                {
                    "bin": b,
                    "mean_predicted": float(p_pos[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    return curve
