"""Segment ids that keep their meaning across retrains.

On a first version, ids run from 1 by segment size (largest = 1), so they are
deterministic. On a retrain, the previous version assigns the new training rows; each of
its segments' centroid is the mean of its typical rows in the NEW encoded space (robust to
the featurizer having changed: no old coordinates are compared with new ones). New segments
are matched to previous ones by the Hungarian algorithm on centroid distances: a matched
segment keeps the previous id, an extra one gets a fresh id above every id used before,
and a previous segment left unmatched is retired. The match is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dbt_automl.clustering._families import centroids_of


@dataclass
class Previous:
    """The previous version seen through the new training rows."""

    version_ids: np.ndarray  # the previous version's segment id of every training row
    centroids: dict[int, np.ndarray]  # previous id -> mean of its rows in the new space
    max_id: int  # the largest id any version used

    @classmethod
    def of(
        cls, matrix: np.ndarray, assigned: pd.DataFrame, radii: dict[int, float], max_id: int
    ) -> Previous:
        """From the previous model's assignment of the training rows (``segment`` and
        ``distance``) and its segments' radii.

        A segment's centroid is the mean of its typical rows: those within the radius that
        held 90% of its own training rows. Rows of a new group the previous version had no
        segment for are far from every old centroid, so they do not drag one towards them
        (and then steal its id).
        """
        ids = assigned["segment"].to_numpy().astype(np.int64)
        distance = assigned["distance"].to_numpy()
        centroids = {}
        for s in np.unique(ids):
            members = ids == s
            typical = members & (distance <= radii.get(int(s), np.inf))
            centroids[int(s)] = matrix[typical if typical.any() else members].mean(axis=0)
        return cls(ids, centroids, max(max_id, int(ids.max())))

    def init(self) -> np.ndarray:
        """Starting centroids for a warm candidate (the previous segments, new space)."""
        return np.vstack([self.centroids[s] for s in sorted(self.centroids)])


@dataclass
class Ids:
    """The segment id of every internal label and how they were decided."""

    by_label: np.ndarray
    max_id: int
    matching: dict[str, Any] | None = None
    kept_share: float | None = None
    notes: list[str] = field(default_factory=list)


def first_ids(labels: np.ndarray, k: int) -> Ids:
    """Ids 1..k by segment size, largest first (ties: lower internal label first)."""
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda j: (-sizes[j], j))
    by_label = np.empty(k, dtype=np.int64)
    for rank, label in enumerate(order, start=1):
        by_label[label] = rank
    return Ids(by_label, k)


def matched_ids(matrix: np.ndarray, labels: np.ndarray, k: int, previous: Previous) -> Ids:
    """Ids matched to the previous version's segments (Hungarian on centroid distance)."""
    from scipy.optimize import linear_sum_assignment

    new = centroids_of(matrix, labels, k)
    old_ids = sorted(previous.centroids)
    old = np.vstack([previous.centroids[s] for s in old_ids])
    cost = np.linalg.norm(old[:, None, :] - new[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    by_label = np.zeros(k, dtype=np.int64)
    pairs = []
    for r, c in zip(rows, cols, strict=True):
        by_label[c] = old_ids[r]
        members = previous.version_ids == old_ids[r]
        pairs.append(
            {
                "previous": int(old_ids[r]),
                "new": int(old_ids[r]),
                "distance": round(float(cost[r, c]), 6),
                # Share of the previous segment's rows that stayed in it.
                "overlap": round(float(np.mean(labels[members] == c)), 6),
            }
        )
    fresh = _fresh(by_label, labels, previous.max_id)
    ids = by_label[labels]
    kept = float(np.mean(ids == previous.version_ids))
    matching = {
        "pairs": pairs,
        "fresh": fresh,
        "retired": [int(s) for s in old_ids if s not in set(by_label.tolist())],
        "space": "the new version's encoded features (previous segments = mean of the rows "
        "the previous version assigns to them)",
    }
    top = max([previous.max_id, *by_label.tolist()])
    return Ids(by_label, top, matching, kept)


def _fresh(by_label: np.ndarray, labels: np.ndarray, max_id: int) -> list[int]:
    """Give unmatched labels ids above every id used before, largest segment first."""
    unmatched = [j for j in range(len(by_label)) if by_label[j] == 0]
    sizes = np.bincount(labels, minlength=len(by_label))
    unmatched.sort(key=lambda j: (-sizes[j], j))
    fresh = []
    for offset, label in enumerate(unmatched, start=1):
        by_label[label] = max_id + offset
        fresh.append(int(max_id + offset))
    return fresh
