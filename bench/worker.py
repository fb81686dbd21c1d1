"""Fit one system on one table and write its test predictions: ``python worker.py SPEC.json``.

Runs in whichever venv owns the system (the project's for dbt-automl and HGB, a side venv for
AutoGluon and FLAML), so it imports only pandas and numpy at the top and the system's library
inside its function. The spec names the train/test parquet files, the label, the task kind,
the metric, the budget and an output folder, where this writes ``pred.npy`` (class
probabilities in the spec's class order, or regression values) and ``info.json``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

Spec = dict[str, Any]
FitPredict = Callable[[Spec, pd.DataFrame, pd.DataFrame], tuple[np.ndarray, dict[str, Any]]]


def _xy(spec: Spec, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[spec["target"]]), frame[spec["target"]]


def _reorder(proba: np.ndarray, have: list[Any], want: list[str]) -> np.ndarray:
    """Probability columns from a system's class order into the spec's (sorted labels)."""
    index = {str(c): i for i, c in enumerate(have)}
    return np.column_stack([proba[:, index[c]] for c in want])


def run_dbt_automl(spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """dbt-automl's public ``fit`` on the frame, told the metric, budget and seed."""
    import dbt_automl

    settings: dict[str, Any] = {
        "target": spec["target"],
        "task": "regression" if spec["kind"] == "regression" else "classification",
        "metric": spec["metric"],
        "time_budget_s": spec["budget"],
        "seed": 0,
        "n_jobs": -1,  # every system gets the whole machine
    }
    if spec.get("positive_class") is not None:
        settings["positive_class"] = spec["positive_class"]
    fitted = dbt_automl.fit(train, settings, name=spec["table"])
    fit_done = time.perf_counter()
    if spec["kind"] == "regression":
        pred = np.asarray(fitted.predict(test), dtype=float)
    else:
        pred = _reorder(fitted.predict_proba(test), list(fitted.classes_), spec["classes"])
    result = fitted.result_
    families = sorted({member["family"] for member in result.ensemble})
    chosen = families[0] if len(families) == 1 else f"ensemble of {', '.join(families)}"
    model = f"{chosen} ({len(result.search.trials)} trials)"
    info = {"fit_done": fit_done, "model": model, "imported_from": dbt_automl.__file__}
    return pred, {**info, "version": dbt_automl.__version__}


def _categorical(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Object columns as pandas categories with the train categories (unseen -> NaN)."""
    train, test = train.copy(), test.copy()
    for column in train.columns:
        if not pd.api.types.is_numeric_dtype(train[column]):
            dtype = pd.CategoricalDtype(sorted(train[column].dropna().astype(str).unique()))
            train[column] = train[column].astype(str).where(train[column].notna()).astype(dtype)
            test[column] = test[column].astype(str).where(test[column].notna()).astype(dtype)
    return train, test


def run_hgb(spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """scikit-learn HistGradientBoosting with default settings: the baseline."""
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x_train, y_train = _xy(spec, train)
    x_train, x_test = _categorical(x_train, _xy(spec, test)[0])
    if spec["kind"] == "regression":
        model: Any = HistGradientBoostingRegressor(categorical_features="from_dtype")
    else:
        model = HistGradientBoostingClassifier(categorical_features="from_dtype")
    model.fit(x_train, y_train)
    fit_done = time.perf_counter()
    if spec["kind"] == "regression":
        pred = model.predict(x_test)
    else:
        pred = _reorder(model.predict_proba(x_test), list(model.classes_), spec["classes"])
    return pred, {"fit_done": fit_done, "model": "defaults", "version": sklearn.__version__}


FLAML_METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse"}


def run_flaml(spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """FLAML's AutoML with the budget, metric and seed."""
    import flaml
    from flaml import AutoML

    x_train, y_train = _xy(spec, train)
    x_test = _xy(spec, test)[0]
    automl = AutoML()
    automl.fit(
        x_train,
        y_train,
        task="regression" if spec["kind"] == "regression" else "classification",
        metric=FLAML_METRIC[spec["metric"]],
        time_budget=spec["budget"],
        seed=0,
        verbose=0,
    )
    fit_done = time.perf_counter()
    if spec["kind"] == "regression":
        pred = np.asarray(automl.predict(x_test), dtype=float)
    else:
        pred = _reorder(automl.predict_proba(x_test), list(automl.classes_), spec["classes"])
    return pred, {
        "fit_done": fit_done,
        "model": str(automl.best_estimator),
        "version": flaml.__version__,
    }


AG_METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "root_mean_squared_error"}


def run_autogluon(spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """AutoGluon's TabularPredictor, medium_quality preset, with the budget and metric."""
    import shutil

    import autogluon.tabular
    from autogluon.tabular import TabularPredictor

    path = Path(spec["out"]) / "ag_models"
    predictor = TabularPredictor(
        label=spec["target"],
        eval_metric=AG_METRIC[spec["metric"]],
        problem_type=spec["kind"],
        path=str(path),
        verbosity=2,
    ).fit(
        train,
        time_limit=spec["budget"],
        presets="medium_quality",
        # No torch here: the neural nets would only fail to import, so skip them up front.
        excluded_model_types=["NN_TORCH", "FASTAI"],
    )
    fit_done = time.perf_counter()
    x_test = _xy(spec, test)[0]
    if spec["kind"] == "regression":
        pred = np.asarray(predictor.predict(x_test), dtype=float)
    else:
        proba = predictor.predict_proba(x_test)
        pred = _reorder(proba.to_numpy(), list(proba.columns), spec["classes"])
    info = {"fit_done": fit_done, "model": str(predictor.model_best)}
    shutil.rmtree(path, ignore_errors=True)  # a few hundred MB per table otherwise
    return pred, {**info, "version": autogluon.tabular.__version__}


SYSTEMS: dict[str, FitPredict] = {
    "dbt_automl": run_dbt_automl,
    "hgb": run_hgb,
    "flaml": run_flaml,
    "autogluon": run_autogluon,
}


def _peak_rss_mb() -> float:
    """This process's peak RSS (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(spec_path: str) -> int:
    """Run the spec's system; write predictions and timings, or the traceback on failure."""
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["out"])
    info: dict[str, Any] = {"status": "error"}
    try:
        train, test = pd.read_parquet(spec["train"]), pd.read_parquet(spec["test"])
        start = time.perf_counter()
        pred, extra = SYSTEMS[spec["system"]](spec, train, test)
        end = time.perf_counter()
        np.save(out / "pred.npy", np.asarray(pred, dtype=float))
        fit_done = extra.pop("fit_done")
        info = {"status": "ok", "fit_s": fit_done - start, "predict_s": end - fit_done, **extra}
    except Exception:  # the benchmark records any failure and goes on with the next cell
        info["traceback"] = traceback.format_exc()
        traceback.print_exc()
    info["self_peak_rss_mb"] = _peak_rss_mb()
    (out / "info.json").write_text(json.dumps(info, indent=2))
    return 0 if info["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
