"""A loaded model version ready to score Arrow data, and a per-process cache of them.

The python scoring model and the SQL function both score through a :class:`Scorer`, so
they give the same predictions for the same rows.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl._model import AutoMLModel
from dbt_automl.errors import RegistryError
from dbt_automl.preprocess import FeatureSchema
from dbt_automl.registry import Registry, load_version


@dataclass
class Scorer:
    """One model version: its fitted model, its metadata and its feature schema."""

    model: AutoMLModel
    metadata: dict[str, Any]
    features: FeatureSchema = field(init=False)

    def __post_init__(self) -> None:
        self.features = FeatureSchema.from_dict(self.metadata["features"])

    @classmethod
    def load(cls, path: Path) -> Scorer:
        """The version in directory ``path`` (its checksum verified before loading)."""
        model, metadata = load_version(path)
        return cls(model, metadata)

    @property
    def name(self) -> str:
        """The trained model's name."""
        return str(self.metadata["model_name"])

    @property
    def version(self) -> int:
        """The version number."""
        return int(self.metadata["version"])

    def raw(self, data: pa.Table | pa.RecordBatch) -> np.ndarray:
        """Raw predictions (probabilities (n, k), or values) for rows holding the features."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):  # one core per model, as in engine.train
            return self.model.predict_raw_arrow(data, self.features)

    def labels(self, raw: np.ndarray) -> np.ndarray:
        """Predictions in the target's own values."""
        return self.model.labels(raw)

    def prediction_arrays(self, raw: np.ndarray, fields: list[pa.Field]) -> list[pa.Array]:
        """The task's prediction columns (``fields``) for raw predictions, as Arrow arrays."""
        model = self.model
        return model.task.prediction_arrays(raw, model.classes, model.threshold, fields)


class ScorerCache:
    """The current version of each model, loaded once per process.

    A new version is noticed by the model directory's modification time: registering one
    renames a directory into it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], tuple[int, Scorer]] = {}

    def current(self, model_name: str, root: Path) -> Scorer:
        """The newest registered version of ``model_name`` under the registry ``root``.

        Raises:
            RegistryError: the model has no version there.
        """
        key = (str(root), model_name)
        model_dir = root / model_name
        stamp = os.stat(model_dir).st_mtime_ns if model_dir.is_dir() else -1
        with self._lock:
            cached = self._loaded.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            version = Registry(root).current(model_name)
            if version is None:
                raise RegistryError(
                    f"no registered version under {root}",
                    f"train it first (`dbt build --select {model_name}`), or check its name",
                    model=model_name,
                )
            scorer = Scorer.load(version.path)
            self._loaded[key] = (stamp, scorer)
            return scorer


SCORERS = ScorerCache()
