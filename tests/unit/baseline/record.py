"""Record (or re-run) fixed-seed fits whose leaderboards and predictions must never drift.

``python tests/unit/baseline/record.py`` writes ``leaderboards.json`` next to this file from
the engine installed in the current environment. It was run at commit 1cf177d, the last one
before the engine moved into subpackages (issue 8); ``test_behaviour_unchanged.py`` re-runs
the same fits and compares. Run it again only when a change is *meant* to alter the search.

Cases cover every task and the engine's branches: 5-fold x2 cross-validation with
calibration and a threshold (breast_cancer), multiclass (wine), regression (diabetes), and a
holdout search over every column kind with feature selection (a churn-like table).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets

HERE = Path(__file__).resolve().parent
RECORD = HERE / "leaderboards.json"
PREDICTED_ROWS = 40


def _sklearn(loader: Callable[..., Any], labels: bool) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "label"})
    if labels:
        names = [str(n) for n in bunch.target_names]
        frame["label"] = [names[int(i)] for i in frame["label"]]
    return frame


def _churn_like() -> pd.DataFrame:
    sys.path.insert(0, str(HERE.parents[2]))
    from tests.conftest import churn_like_frame

    return churn_like_frame(1500, seed=11).rename(columns={"is_churned": "label"})


# name -> (table, settings); every case has max_trials and a budget no trial comes near.
CASES: dict[str, tuple[Callable[[], pd.DataFrame], dict[str, Any]]] = {
    "breast_cancer": (
        lambda: _sklearn(datasets.load_breast_cancer, labels=True),
        {"metric": "roc_auc", "max_trials": 12},
    ),
    "wine": (
        lambda: _sklearn(datasets.load_wine, labels=True),
        {"metric": "log_loss", "max_trials": 10},
    ),
    "diabetes": (
        lambda: _sklearn(datasets.load_diabetes, labels=False),
        {"metric": "rmse", "max_trials": 12},
    ),
    "churn_like_holdout": (
        _churn_like,
        {"metric": "f1", "max_trials": 10, "cv_folds": 1, "id_columns": ["customer_id"]},
    ),
}


def settings_of(name: str) -> dict[str, Any]:
    """The full ``meta.automl`` settings of one case."""
    return {"target": "label", "seed": 3, "time_budget_s": 3600, **CASES[name][1]}


def run_case(name: str, fit: Callable[[pd.DataFrame, dict[str, Any]], Any]) -> dict[str, Any]:
    """Fit one case with ``fit(frame, settings)`` and return what must stay the same.

    ``fit`` returns ``(trials, test_metrics, predictions)``: trials as (family, params,
    score, state) tuples, predictions on the first PREDICTED_ROWS rows (probabilities or
    values, as lists).
    """
    frame = CASES[name][0]()
    trials, test_metrics, predictions = fit(frame, settings_of(name))
    return {
        "trials": [list(t) for t in trials],
        "test_metrics": test_metrics,
        "predictions": np.asarray(predictions, dtype=float).tolist(),
    }


def _fit_1cf177d(frame: pd.DataFrame, settings: dict[str, Any]) -> tuple:
    """The engine's API at 1cf177d: ``dbt_automl.fit`` returning a FittedModel."""
    import dbt_automl

    fitted = dbt_automl.fit(frame, settings)
    result = fitted.result
    trials = [(t.family, t.params, t.score, t.state) for t in result.search.trials]
    head = frame.head(PREDICTED_ROWS)
    regression = result.target.kind == "regression"
    predictions = fitted.predict(head) if regression else fitted.predict_proba(head)
    return trials, result.test_metrics, predictions


def main() -> None:
    """Write leaderboards.json from the installed engine."""
    record = {name: run_case(name, _fit_1cf177d) for name in CASES}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    print(f"wrote {RECORD}")


if __name__ == "__main__":
    main()
