"""Same seed, same leaderboard and predictions as recorded in ``baseline/leaderboards.json``.

The record guards the engine's behaviour across refactors (first made at 1cf177d, before
issue 8 moved the engine into subpackages; re-recorded at b5b15c7 with smaller cases, the
full cases having matched 1cf177d up to there: see ``baseline/record.py``). These fits must
reproduce it trial for trial.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.unit.baseline.record import CASES, RECORD, fit_now, run_case

RECORDED = json.loads(RECORD.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_leaderboard_and_predictions_as_before_the_move(case: str) -> None:
    now = json.loads(json.dumps(run_case(case, fit_now), sort_keys=True, default=str))
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
