"""The trained segmentation a registry version holds, and how it assigns rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dbt_automl.clustering._families import nearest

if TYPE_CHECKING:
    from dbt_automl.preprocess import Featurizer

ASSIGNMENT_COLUMNS = ("segment", "segment_label", "distance", "probability")


@dataclass
class ClusterModel:
    """The featurizer, one centroid per segment (encoded space) and the segment ids.

    Holds no training rows: the featurizer keeps its fitted encoders, the centroids are
    ``k`` rows, and a mixture keeps only its weights, means and covariances.

    ``assign`` gives every row a segment:

    - ``distance``: Euclidean distance to the segment's centroid in the encoded (scaled)
      space, where 1 is one standard deviation of a numeric feature;
    - ``probability``: for a Gaussian mixture, the posterior probability of the segment
      (``predict_proba``'s largest value). For k-means and HDBSCAN, the relative margin
      ``1 - d1 / d2`` of the nearest centroid's distance ``d1`` over the second nearest's
      ``d2``: 1 at the centroid, 0 on the boundary between two segments. Not a calibrated
      probability, but in [0, 1] and larger for surer assignments.
    """

    model_name: str
    featurizer: Featurizer
    family: str
    segment_ids: np.ndarray  # the segment id of each internal label
    centroids: np.ndarray  # one row per internal label
    mixture: Any | None = None
    labels: dict[int, str] = field(default_factory=dict)
    id_columns: tuple[str, ...] = ()
    max_id: int = 0
    # 90th percentile of the training rows' distance to their centroid, per internal label:
    # a retrain reads a segment's typical members by it (see _stable.Previous).
    radius: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def k(self) -> int:
        """Number of segments."""
        return len(self.segment_ids)

    def radii(self) -> dict[int, float]:
        """Segment id -> the distance within which 90% of its training rows lay."""
        return {int(s): float(r) for s, r in zip(self.segment_ids, self.radius, strict=True)}

    def label_of(self, segment: int) -> str | None:
        """The human label written in ``labels`` for a segment id, if any."""
        return self.labels.get(int(segment))

    def encode(self, rows: pa.Table | pa.RecordBatch) -> np.ndarray:
        """The rows in the encoded space the centroids live in."""
        return self.featurizer.transform(rows)

    def internal(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Internal label, distance to its centroid and probability of encoded rows."""
        labels, distances = nearest(matrix, self.centroids)
        if self.mixture is not None:
            posterior = self.mixture.predict_proba(matrix)
            labels = posterior.argmax(axis=1)
            probability = posterior.max(axis=1)
        else:
            ordered = np.sort(distances, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                margin = 1.0 - ordered[:, 0] / ordered[:, 1]
            probability = np.where(ordered[:, 1] > 0, margin, 0.0)
        own = distances[np.arange(len(labels)), labels]
        return labels, own, probability

    def assign(self, rows: pa.Table | pa.RecordBatch) -> pd.DataFrame:
        """Segment, label, distance and probability of every row, in row order.

        Raises:
            SchemaMismatchError: a feature column the model uses is missing.
        """
        labels, distance, probability = self.internal(self.encode(rows))
        segments = self.segment_ids[labels]
        return pd.DataFrame(
            {
                "segment": segments.astype(np.int64),
                "segment_label": pd.Series([self.label_of(s) for s in segments], dtype=object),
                "distance": distance.astype(float),
                "probability": np.clip(probability, 0.0, 1.0).astype(float),
            }
        )
