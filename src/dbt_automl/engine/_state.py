"""The state that training's stages read and fill in, and what a finished run returns."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl._model import AutoMLModel
from dbt_automl.config import AutomlConfig
from dbt_automl.preprocess import FeatureSchema
from dbt_automl.search import Candidate, Family, Fold, SearchResult, ValidationPlan
from dbt_automl.tasks import Decision, Metric, Target, Task

Member = tuple[Candidate, float]  # a search trial and its weight in the final model


@dataclass
class TrainState:
    """One training run: the inputs, then each stage's output, in the order stages fill it.

    Fields below ``decisions`` are set by the stage that owns them (reading one before its
    stage ran is a programming error: AttributeError). ``decisions`` is what the run
    decided and why, recorded in the model's metadata.
    """

    table: pa.Table
    cfg: AutomlConfig
    log: Logger
    started: float = field(default_factory=time.perf_counter)
    decisions: dict[str, Any] = field(default_factory=dict)
    # prepare
    task: Task = field(init=False)
    target: Target = field(init=False)
    metric: Metric = field(init=False)
    schema: FeatureSchema = field(init=False)
    frame: pd.DataFrame = field(init=False)
    groups: np.ndarray | None = field(init=False)
    times: np.ndarray | None = field(init=False)
    # plan_splits
    plan: ValidationPlan = field(init=False)
    folds: list[Fold] = field(init=False)
    families: dict[str, Family] = field(init=False)
    # search, ensemble, decide
    search: SearchResult = field(init=False)
    members: list[Member] = field(init=False)
    oof: np.ndarray = field(init=False)
    decision: Decision = field(init=False)
    # final_model, evaluate
    model: AutoMLModel = field(init=False)
    bagged: bool = field(init=False)
    refit_s: float = field(init=False)
    test_metrics: dict[str, float] = field(init=False)
    test_raw: np.ndarray = field(init=False)
    # The schema before feature selection dropped columns: the search's fold models read it.
    unselected: FeatureSchema | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        """The model's name, which every log line starts with."""
        return self.cfg.model_name

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    @property
    def y_train(self) -> np.ndarray:
        """Encoded target of the training rows (the test split left out)."""
        return self.target.y[self.plan.train]

    @property
    def frame_train(self) -> pd.DataFrame:
        """Features of the training rows."""
        return self.frame.iloc[self.plan.train]

    @property
    def y_search(self) -> np.ndarray:
        """Encoded target of the rows the search compares configurations on."""
        return self.y_train[self.plan.search]

    @property
    def frame_search(self) -> pd.DataFrame:
        """Features of the rows the search compares configurations on."""
        return self.frame_train.iloc[self.plan.search]

    def warn(self, message: str) -> None:
        """A warning in the log, prefixed with the model's name."""
        self.log.warning(f"{self.name}: {message}")

    def info(self, message: str) -> None:
        """An info line in the log, prefixed with the model's name."""
        self.log.info(f"{self.name}: {message}")


Stage = Callable[[TrainState], None]


@dataclass
class TrainResult:
    """Everything a training run produced, ready to be registered."""

    model: AutoMLModel
    schema: FeatureSchema
    task: Task
    target: Target
    metric: Metric
    search: SearchResult
    test_metrics: dict[str, float]
    threshold: float | None
    train_rows: int
    test_rows: int
    duration_s: float
    ensemble: list[dict[str, Any]] = field(default_factory=list)
    decisions: dict[str, Any] = field(default_factory=dict)
    # The test split as it came in (features and target) and its encoded target: the rows
    # a champion is measured on to judge this run's model (the same rows for both).
    test_table: pa.Table | None = None
    test_y: np.ndarray | None = None
    test_raw: np.ndarray | None = None

    @classmethod
    def of(cls, state: TrainState) -> TrainResult:
        """The result of a run whose stages have all run."""
        return cls(
            model=state.model,
            schema=state.schema,
            task=state.task,
            target=state.target,
            metric=state.metric,
            search=state.search,
            test_metrics=state.test_metrics,
            threshold=state.decision.threshold,
            train_rows=len(state.plan.train),
            test_rows=len(state.plan.test),
            duration_s=state.elapsed,
            ensemble=[
                {"trial": c.number, "family": c.family, "weight": w, "params": c.params}
                for c, w in state.members
            ],
            decisions=state.decisions,
            test_table=state.table.take(pa.array(state.plan.test)),
            test_y=state.target.y[state.plan.test],
            test_raw=state.test_raw,
        )
