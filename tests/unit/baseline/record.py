"""Record (or re-run) fixed-seed fits whose leaderboards and predictions must never drift.

``python tests/unit/baseline/record.py`` writes ``leaderboards.json`` next to this file from
the engine installed in the current environment; ``test_behaviour_unchanged.py`` re-runs the
same fits and compares. Run it again only when a change is *meant* to alter the search.

History: the first record (commit 7df78e1) was made at 1cf177d, the last commit before the
engine moved into subpackages (issue 8); those full cases (whole tables, wine and diabetes on
5-fold x2 too) still matched it trial for trial up to b5b15c7. It was then re-recorded at
b5b15c7 with the smaller cases below: the full ones took 2.3 minutes of ``make test`` on an
idle machine and 4.4 on a busy one, most of it CatBoost's early-stopped default on ten folds
(breast_cancer's 30 features: 3.5 s a fold; wine: 1,465 multiclass rounds).

Cases cover every task and the engine's branches: 5-fold x2 cross-validation with Platt
calibration, a tuned threshold and trials stopped by the median pruner (breast_cancer: its
ten "mean" columns, 300 rows); multiclass with temperature calibration and a four-model
ensemble (wine: its first four columns, 3 folds); regression with a pruned trial (diabetes,
3 folds); and a holdout search over every column kind with feature selection (a churn-like
table).
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


def _sklearn(
    loader: Callable[..., Any], labels: bool, columns: int | None = None, rows: int | None = None
) -> pd.DataFrame:
    """A scikit-learn table with its target as ``label``: the first ``columns`` features and
    a fixed sample of ``rows`` rows when given."""
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "label"})
    if labels:
        names = [str(n) for n in bunch.target_names]
        frame["label"] = [names[int(i)] for i in frame["label"]]
    if columns is not None:
        frame = frame[[*frame.columns[:columns], "label"]]
    if rows is not None:
        frame = frame.sample(n=rows, random_state=0).reset_index(drop=True)
    return frame


def _churn_like() -> pd.DataFrame:
    sys.path.insert(0, str(HERE.parents[2]))
    from tests.conftest import churn_like_frame

    return churn_like_frame(1500, seed=11).rename(columns={"is_churned": "label"})


# name -> (table, settings); every case has max_trials and a budget no trial comes near.
CASES: dict[str, tuple[Callable[[], pd.DataFrame], dict[str, Any]]] = {
    "breast_cancer": (
        lambda: _sklearn(datasets.load_breast_cancer, labels=True, columns=10, rows=300),
        {"metric": "roc_auc", "max_trials": 12},
    ),
    "wine": (
        lambda: _sklearn(datasets.load_wine, labels=True, columns=4),
        {"metric": "log_loss", "max_trials": 10, "cv_folds": 3},
    ),
    "diabetes": (
        lambda: _sklearn(datasets.load_diabetes, labels=False),
        {"metric": "rmse", "max_trials": 12, "cv_folds": 3},
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


def fit_now(frame: pd.DataFrame, settings: dict[str, Any]) -> tuple:
    """The engine's current API: ``dbt_automl.fit`` returning a fitted ``AutoML``.

    (The 1cf177d record used that commit's API, ``FittedModel.result``: see 7df78e1.)
    """
    import dbt_automl

    fitted = dbt_automl.fit(frame, settings)
    trials = [(t.family, t.params, t.score, t.state) for t in fitted.result_.search.trials]
    head = frame.head(PREDICTED_ROWS)
    regression = fitted.result_.target.classes is None
    predictions = fitted.predict(head) if regression else fitted.predict_proba(head)
    return trials, fitted.test_metrics_, predictions


def main() -> None:
    """Write leaderboards.json from the installed engine."""
    record = {name: run_case(name, fit_now) for name in CASES}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    print(f"wrote {RECORD}")


if __name__ == "__main__":
    main()
