"""Another version's recipe measured on a run's backtest, with real small fits: the same
windows and scales as the run's own figures, candidates it lacks backtested at its cutoffs,
the global model refitted with the recipe's covariates, and recipes that cannot run
refused."""

from __future__ import annotations

import logging

import pytest

from dbt_automl.errors import TrainingDataError
from dbt_automl.forecasting import ForecastResult, Recipe, train_forecaster
from tests.unit.forecasting.conftest import config, daily_sales, table_of

LOG = logging.getLogger("forecast")


def _recipe(result: ForecastResult) -> Recipe:
    board = tuple(row["candidate"] for row in result.leaderboard)
    return Recipe(result.model.strategy.name, board)


def _measure(result: ForecastResult, recipe: Recipe) -> float:
    assert result.evaluate_recipe is not None
    return result.evaluate_recipe(recipe)["mase"]


@pytest.fixture(scope="module")
def runs() -> dict[str, ForecastResult]:
    table = table_of(daily_sales(branches=2, days=200))
    return {
        name: train_forecaster(table, config(candidates=candidates, time_budget_s=10), LOG)
        for name, candidates in (
            ("theta", ["seasonal_naive", "theta"]),
            ("ets", ["seasonal_naive", "ets"]),
        )
    }


def test_a_runs_own_recipe_scores_its_recorded_backtest_mase(runs) -> None:
    for result in runs.values():
        assert _measure(result, _recipe(result)) == pytest.approx(result.metrics["mase"])


def test_a_candidate_the_run_lacks_is_backtested_at_the_same_cutoffs(runs) -> None:
    # ETS fitted now at the theta run's cutoffs scores what the ETS run recorded on the same
    # data: the windows, series and scales are the same ones.
    ets = runs["ets"]
    assert "ets" not in {row["candidate"] for row in runs["theta"].leaderboard}
    assert _measure(runs["theta"], _recipe(ets)) == pytest.approx(ets.metrics["mase"])


def test_a_naive_only_recipe_scores_the_runs_seasonal_naive_baseline(runs) -> None:
    result = runs["theta"]
    naive = _measure(result, Recipe("single", ("seasonal_naive",)))
    assert naive == pytest.approx(result.metrics["seasonal_naive_mase"])
    assert naive > result.metrics["mase"]


def test_the_global_model_is_refitted_with_the_recipes_covariates(runs) -> None:
    # The promotion flag lifts sales by half: the global model that reads it forecasts better.
    result = runs["theta"]
    blind = _measure(result, Recipe("single", ("lightgbm",)))
    informed = _measure(result, Recipe("single", ("lightgbm",), known_covariates=("promo",)))
    assert informed < blind


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (Recipe("single", ("prophet",)), r"unknown candidate\(s\) \['prophet'\]"),
        (Recipe("mean3", ("theta", "ets")), r"strategy 'mean3' cannot combine"),
        (
            Recipe("single", ("lightgbm",), known_covariates=("price",)),
            r"column 'price': not in the training table",
        ),
    ],
)
def test_a_recipe_that_cannot_run_here_is_refused(runs, recipe: Recipe, message: str) -> None:
    with pytest.raises(TrainingDataError, match=message):
        _measure(runs["theta"], recipe)
