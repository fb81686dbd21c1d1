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

from dbt_automl._model import ArrowModel
from dbt_automl.errors import RegistryError
from dbt_automl.preprocess import FeatureSchema
from dbt_automl.registry import Registry


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# One computation per core at a time, across every scoring in the process (dbt threads).
CORE_SLOTS = threading.BoundedSemaphore(usable_cores())


class _OneThreadPerCall:
    """OpenMP and BLAS at one thread while any scoring computes (parallelism comes from
    batches): set by the first caller in, restored by the last one out. threadpoolctl's
    own context manager would restore the limits while another thread still computes.

    The controller (which scans the loaded libraries: ~2 ms) is made once, at the first
    call, when the model's libraries are loaded; the SQL function calls this per 2,048 rows.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._limits: Any = None
        self._controller: Any = None

    def __enter__(self) -> None:
        from threadpoolctl import ThreadpoolController

        with self._lock:
            if self._depth == 0:
                if self._controller is None:
                    self._controller = ThreadpoolController()
                self._limits = self._controller.limit(limits=1)
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._limits.restore_original_limits()


ONE_THREAD_PER_CALL = _OneThreadPerCall()


@dataclass
class Scorer:
    """One model version: its scoring form, its metadata and its feature schema."""

    model: ArrowModel
    metadata: dict[str, Any]
    features: FeatureSchema = field(init=False)

    def __post_init__(self) -> None:
        self.features = FeatureSchema.from_dict(self.metadata["features"])

    @classmethod
    def load(cls, path: Path) -> Scorer:
        """The version in directory ``path`` in its scoring form (built once per version and
        cached next to it; every checksum verified before loading)."""
        from dbt_automl._log import get_logger
        from dbt_automl.scoring._compiled import scoring_model

        return cls(*scoring_model(path, get_logger()))

    @property
    def name(self) -> str:
        """The trained model's name."""
        return str(self.metadata["model_name"])

    @property
    def version(self) -> int:
        """The version number."""
        return int(self.metadata["version"])

    def raw(self, data: pa.Table | pa.RecordBatch) -> np.ndarray:
        """Raw predictions (probabilities (n, k), or values) for rows holding the features.

        Each call computes on one core and takes one of the process's core slots, so
        batches scored in parallel, and two models scored at once by dbt's threads, never
        run more computations than there are cores.
        """
        with ONE_THREAD_PER_CALL, CORE_SLOTS:
            return self.model.predict_raw_arrow(data)

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
        """The version of ``model_name`` that serves (champion or pinned) under ``root``.

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
            version = Registry(root).champion(model_name)
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
