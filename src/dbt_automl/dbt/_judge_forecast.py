"""A forecasting challenger against the champion on the same backtest windows.

The champion's model was fitted up to its own last period, usually inside the challenger's
backtest windows, so it cannot be scored there. Its recipe, as its metadata records it
(the candidates it backtested, its strategy, its covariates), is backtested at the
challenger's cutoffs instead and scored with the challenger's MASE on the same series and
windows (see :mod:`dbt_automl.forecasting._recipe`). When the recipe cannot run on the new
data (another target, series columns, frequency or horizon; an unknown candidate; a
covariate gone), the backtest MASE each version recorded is compared, and the log says why.
"""

from __future__ import annotations

from typing import Any

from dbt_automl._log import get_logger
from dbt_automl.errors import DbtAutomlError
from dbt_automl.forecasting import ForecastResult, Recipe
from dbt_automl.lifecycle import Scores, recorded_scores
from dbt_automl.registry import ModelVersion

METRIC = "mase"
ROWS = "the same backtest windows (the champion's recipe refitted)"
# What a recipe measured on the challenger's windows must share with it to mean the same.
_SAME_SETUP = ("task", "target", "frequency", "horizon")


def backtest_scores(
    result: ForecastResult, metadata: dict[str, Any], champion: ModelVersion | None
) -> Scores | None:
    """The challenger's backtest MASE and the champion's recipe's on the same windows, or
    the MASE each recorded when the champion's recipe cannot run on these windows.

    ``metadata`` is the challenger's (as :func:`dbt_automl.dbt._forecast.train_forecast`
    registers it).
    """
    ours = result.metrics.get(METRIC)
    if champion is None:
        return Scores(METRIC, ours, None, False, rows=ROWS)
    why = _mismatch(metadata, champion.metadata)
    theirs = None
    if why is None:
        try:
            theirs = _recipe_mase(result, champion.metadata)
        except (DbtAutomlError, KeyError, ValueError) as exc:
            why = str(exc)
    if why is not None:
        get_logger().warning(
            f"{champion.model_name}: v{champion.version}'s recipe not backtested on the "
            f"challenger's windows ({why}); comparing the backtest MASE each version recorded"
        )
        return recorded_scores(metadata, champion.metadata)
    return Scores(METRIC, ours, theirs, False, rows=ROWS)


def recipe_of(metadata: dict[str, Any]) -> Recipe:
    """A version's recipe as its metadata records it.

    Raises:
        KeyError: the metadata predates recorded strategies and leaderboards.
    """
    return Recipe(
        strategy=metadata["strategy"]["name"],
        candidates=tuple(row["candidate"] for row in metadata["leaderboard"]),
        known_covariates=tuple(metadata.get("known_covariates", ())),
        past_covariates=tuple(metadata.get("past_covariates", ())),
    )


def _recipe_mase(result: ForecastResult, champion: dict[str, Any]) -> float | None:
    if result.evaluate_recipe is None:
        raise ValueError("the challenger kept no backtest to measure it on")
    return result.evaluate_recipe(recipe_of(champion)).get(METRIC)


def _mismatch(ours: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """Why the champion's recipe does not forecast what the challenger's backtest
    measures, or None."""
    for key in _SAME_SETUP:
        if ours.get(key) != theirs.get(key):
            return f"its {key} was {theirs.get(key)!r}, now {ours.get(key)!r}"
    columns = [[c["name"] for c in m.get("series_columns", [])] for m in (ours, theirs)]
    if columns[0] != columns[1]:
        return f"its series columns were {columns[1]}, now {columns[0]}"
    return None
