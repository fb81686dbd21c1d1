"""Same seed, same leaderboard and predictions as the engine before it moved into subpackages.

``baseline/leaderboards.json`` was recorded by ``baseline/record.py`` at commit 1cf177d, the
last one before issue 8's move; these fits must reproduce it trial for trial.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import dbt_automl
from tests.unit.baseline.record import CASES, RECORD, run_case

RECORDED = json.loads(RECORD.read_text())


def _fit_now(frame: pd.DataFrame, settings: dict[str, Any]) -> tuple:
    fitted = dbt_automl.fit(frame, settings)
    trials = [(t.family, t.params, t.score, t.state) for t in fitted.result_.search.trials]
    head = frame.head(40)
    regression = fitted.result_.target.classes is None
    predictions = fitted.predict(head) if regression else fitted.predict_proba(head)
    return trials, fitted.test_metrics_, predictions


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_leaderboard_and_predictions_as_before_the_move(case: str) -> None:
    now = json.loads(json.dumps(run_case(case, _fit_now), sort_keys=True, default=str))
    before = RECORDED[case]
    assert [t[:2] + t[3:] for t in now["trials"]] == [t[:2] + t[3:] for t in before["trials"]]
    np.testing.assert_allclose(
        [np.nan if t[2] is None else t[2] for t in now["trials"]],
        [np.nan if t[2] is None else t[2] for t in before["trials"]],
        rtol=1e-12,
    )
    assert now["test_metrics"].keys() == before["test_metrics"].keys()
    for name, value in before["test_metrics"].items():
        assert now["test_metrics"][name] == pytest.approx(value, rel=1e-12), name
    np.testing.assert_allclose(now["predictions"], before["predictions"], rtol=1e-12, atol=1e-15)
