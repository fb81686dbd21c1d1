"""What every task is: its metrics, its target, its decision rule and its output columns.

A task is a small stateless object (it pickles with the model). The engine asks it every
question whose answer differs between tasks, so no task name is compared anywhere else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from dbt_automl.errors import ConfigError
from dbt_automl.tasks._signal import SignalRows

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig


def sklearn_metrics() -> Any:
    """``sklearn.metrics``, imported on first use: importing scikit-learn costs ~0.7 s, and
    a build whose models are all unchanged never computes a metric."""
    from sklearn import metrics

    return metrics


@dataclass(frozen=True)
class Metric:
    """A metric: its name, direction and how to compute it from raw predictions.

    ``fn(y, raw, threshold)``: ``raw`` is what :meth:`Task.predict` returns (probabilities
    or values); ``threshold`` is the binary decision threshold.
    """

    name: str
    greater_is_better: bool
    fn: Callable[[np.ndarray, np.ndarray, float], float]

    @property
    def sign(self) -> int:
        """+1 when greater is better, else -1, so ``sign * score`` is always maximised."""
        return 1 if self.greater_is_better else -1


@dataclass
class Target:
    """The encoded label: values the estimators learn, the original classes, kept rows.

    ``rows`` lists the positions of the training rows kept (None: all of them), when the
    task had to leave some out; ``dropped`` says which classes were too rare to learn
    (class -> rows).
    """

    y: np.ndarray
    classes: list[Any] | None = None
    rows: np.ndarray | None = None
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class Decision:
    """The decision rule fitted out of fold: a calibrator and a threshold, with reasons."""

    calibrator: Any = None
    threshold: float | None = None
    record: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """One kind of problem the engine solves.

    Subclasses set the class attributes and implement the abstract methods; the engine's
    stages call nothing else that depends on the task.
    """

    name: ClassVar[str]
    metrics: ClassVar[Mapping[str, Metric]]
    default_metric: ClassVar[str]
    # Split defaults: stratified test split and folds, and the cross-fitting of encoders.
    stratify: ClassVar[bool]
    # scikit-learn's name for this target (TargetEncoder's target_type).
    target_type: ClassVar[str]
    # Families build a classifier or a regressor from this.
    is_classification: ClassVar[bool]
    # The metric of scikit-learn's `score` convention (accuracy, R²) for AutoML.score.
    estimator_score: ClassVar[str]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def metric(self, name: str | None, cfg: AutomlConfig) -> Metric:
        """The metric called ``name`` (the task's default when None).

        Raises:
            ConfigError: the task has no such metric.
        """
        chosen = name or self.default_metric
        if chosen not in self.metrics:
            raise ConfigError(
                f"{chosen!r} is not a {self.name} metric",
                f"use one of {sorted(self.metrics)}",
                model=cfg.model_name,
                key="metric",
            )
        return self.metrics[chosen]

    @abstractmethod
    def predict(self, estimator: Any, X: Any) -> np.ndarray:
        """Raw predictions of a fitted estimator: probabilities (n, k) or values (n,)."""

    def score(self, metric: Metric, y: np.ndarray, raw: np.ndarray) -> float:
        """The metric on validation predictions, as the search ranks trials."""
        return float(metric.fn(y, raw, 0.5))

    def evaluate(self, y: np.ndarray, raw: np.ndarray, threshold: float | None) -> dict:
        """Every metric of the task on ``y`` (the test split's metrics)."""
        cut = 0.5 if threshold is None else threshold
        return {name: float(m.fn(y, raw, cut)) for name, m in self.metrics.items()}

    def decide(
        self, oof: np.ndarray, y: np.ndarray, metric: Metric, cfg: AutomlConfig
    ) -> Decision:
        """The decision rule from out-of-fold predictions (none by default)."""
        return Decision()

    def curves(
        self,
        y: np.ndarray,
        raw: np.ndarray,
        threshold: float | None = None,
        classes: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """Curves of the test predictions, recorded in the version's ``decisions`` (model
        card, evaluation table, drift): none by default."""
        return {}

    @abstractmethod
    def labels(
        self, raw: np.ndarray, classes: Sequence[Any] | None, threshold: float | None
    ) -> np.ndarray:
        """Raw predictions turned into predictions in the target's own values."""

    @abstractmethod
    def prediction_fields(self, label_type: pa.DataType) -> list[pa.Field]:
        """The prediction table's columns after the ids (``prediction`` first)."""

    @abstractmethod
    def prediction_arrays(
        self,
        raw: np.ndarray,
        classes: Sequence[Any] | None,
        threshold: float | None,
        fields: list[pa.Field],
    ) -> list[pa.Array]:
        """The arrays of :meth:`prediction_fields` for one batch, built from numpy buffers
        (no Python object per row)."""

    @abstractmethod
    def column_signal(
        self, values: np.ndarray, numbers: np.ndarray | None, rows: SignalRows
    ) -> tuple[str, float] | None:
        """How well one column alone predicts the target (leakage warnings): the measure's
        name and value, or None when the column cannot be measured.

        ``numbers`` is the column as floats (None for categories); ``rows`` holds the
        sampled target and the halves for out-of-fold level statistics.
        """

    @classmethod
    def stages(cls) -> Sequence[Callable[[Any], None]]:
        """The training stages, in order (the supervised engine's by default)."""
        # Imported here: the engine depends on tasks, not the other way round.
        from dbt_automl.engine import SUPERVISED_STAGES

        return SUPERVISED_STAGES
